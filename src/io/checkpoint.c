/* checkpoint.c: parallel-HDF5 checkpoints and gradient dumps of full tensors. */
#include "hecaton/checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hecaton/h5io.h"
#include "hecaton/util.h"

/* The model config as attributes of the root group. */
static const char *kCfgInts[] = {"dim", "n_layers", "n_heads", "n_kv_heads", "ffn_dim",
                                 "vocab_size", "max_seq_len"};
static int *cfg_int(hc_model_config *c, int k) {
  int *f[] = {&c->dim, &c->n_layers, &c->n_heads, &c->n_kv_heads, &c->ffn_dim,
              &c->vocab_size, &c->max_seq_len};
  return f[k];
}

static int write_config(hid_t f, const hc_model_config *cfg) {
  hc_model_config c = *cfg;
  int rc = 0;
  for (int k = 0; k < 7; k++) rc |= hc_h5_attr_write_int(f, kCfgInts[k], *cfg_int(&c, k));
  rc |= hc_h5_attr_write_double(f, "norm_eps", c.norm_eps);
  rc |= hc_h5_attr_write_double(f, "rope_theta", c.rope_theta);
  rc |= hc_h5_attr_write_string(f, "model", c.name);
  if (c.lora_rank > 0) { /* LoRA's adapters are in the file: how they were made */
    rc |= hc_h5_attr_write_int(f, "lora_rank", c.lora_rank);
    rc |= hc_h5_attr_write_double(f, "lora_alpha", c.lora_alpha);
    rc |= hc_h5_attr_write_int(f, "lora_targets", (long long)c.lora_targets);
  }
  return rc;
}

/* The file's LoRA settings (none: rank 0). */
static void read_lora(hid_t f, hc_model_config *c) {
  long long r = 0, t = 0;
  c->lora_rank = 0, c->lora_alpha = 0, c->lora_targets = 0;
  if (hc_h5_attr_read_int(f, "lora_rank", &r) || r <= 0 || r > 1 << 20) return;
  if (hc_h5_attr_read_int(f, "lora_targets", &t) || hc_h5_attr_read_double(f, "lora_alpha", &c->lora_alpha))
    return;
  c->lora_rank = (int)r, c->lora_targets = (unsigned)t;
}

/* Resuming needs the same adapters as the run that saved. */
static int check_lora(hid_t f, const char *path, const hc_model_config *want, char *err, size_t errlen) {
  hc_model_config c;
  read_lora(f, &c);
  if (c.lora_rank == want->lora_rank && (!c.lora_rank || c.lora_targets == want->lora_targets))
    return 0;
  return hc_err(err, errlen, "%s: saved by a run with --lora %d (targets mask 0x%x), this run has "
                "--lora %d (0x%x): resume with the same --lora and --lora-targets", path, c.lora_rank,
                c.lora_targets, want->lora_rank, want->lora_targets);
}

static int check_config(hid_t f, const char *path, const hc_model_config *want, char *err,
                        size_t errlen) {
  hc_model_config c = *want;
  for (int k = 0; k < 7; k++) {
    long long v;
    if (hc_h5_attr_read_int(f, kCfgInts[k], &v))
      return hc_err(err, errlen, "%s: no model attribute '%s' (not a hecaton checkpoint?)", path,
                    kCfgInts[k]);
    if (v != *cfg_int(&c, k))
      return hc_err(err, errlen,
                    "%s: checkpoint is of a different model: %s %lld in the file, %d in the "
                    "model config '%s'",
                    path, kCfgInts[k], v, *cfg_int(&c, k), want->name);
  }
  return 0;
}

/* Does every component of an absolute path exist? (H5Lexists fails on a
 * path whose parent group is missing.) */
static int path_exists(hid_t f, const char *path) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char keep = *p;
      *p = '\0';
      if (H5Lexists(f, buf, H5P_DEFAULT) <= 0) return 0;
      if (keep == '\0') return 1;
      *p = keep;
    }
  }
}

/* A tensor's digest: the sum (mod 2^64) over its elements of a 64-bit mix
 * of the element's flat index in the full tensor and its bit pattern. A sum
 * of per-element terms does not depend on how the tensor is split, so each
 * chiplet adds up its own block and an all-reduce gives the digest of the
 * full tensor on any mesh; a flipped bit changes one term. Stored as the
 * dataset's attribute "digest" and checked on every load. */
static uint64_t mix64(uint64_t z) { /* splitmix64's finaliser */
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t block_digest(const hc_tensor *x, const float *local) {
  if (!x->owner) return 0; /* replicated blocks count once, at their owner */
  size_t cols = x->spec.ndim == 2 ? x->spec.shape[1] : 1;
  uint64_t sum = 0;
  for (size_t a = 0; a < x->nr; a++)
    for (size_t b = 0; b < x->nc; b++) {
      uint32_t bits;
      memcpy(&bits, local + a * x->nc + b, sizeof bits);
      uint64_t index = (uint64_t)((x->r0 + a) * cols + x->c0 + b);
      sum += mix64(index * 0x9e3779b97f4a7c15ULL ^ ((uint64_t)bits << 17 | bits));
    }
  return sum;
}

/* Create (write) or open (read) one dataset and move this rank's block;
 * the digest is written (writing) or read back (reading) with it. */
static int move_tensor(hid_t f, const char *dsname, const hc_tensor *x, float *local,
                       int writing, uint64_t *digest) {
  const hc_param_spec *s = &x->spec;
  hsize_t dims[2] = {s->shape[0], s->ndim == 2 ? s->shape[1] : 1};
  int nd = s->ndim;
  hid_t ds;
  if (writing) {
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t sp = H5Screate_simple(nd, dims, NULL);
    ds = H5Dcreate2(f, dsname, H5T_IEEE_F32LE, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    H5Sclose(sp);
    H5Pclose(lcpl);
  } else {
    ds = path_exists(f, dsname) ? H5Dopen2(f, dsname, H5P_DEFAULT) : -1;
  }
  if (ds < 0) return -1;
  hid_t fsp = H5Dget_space(ds);
  int ok = H5Sget_simple_extent_ndims(fsp) == nd;
  hsize_t got[2] = {0, 1};
  if (ok) H5Sget_simple_extent_dims(fsp, got, NULL);
  ok = ok && got[0] == dims[0] && (nd == 1 || got[1] == dims[1]);
  int active = writing ? x->owner : 1;
  hsize_t start[2] = {x->r0, x->c0}, count[2] = {x->nr, x->nc};
  hsize_t mcount = (hsize_t)x->numel;
  hid_t msp = H5Screate_simple(1, &mcount, NULL);
  if (ok && active && mcount > 0) {
    H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL);
  } else {
    H5Sselect_none(fsp);
    H5Sselect_none(msp);
  }
  /* Independent transfers: OpenMPI 4.1's default MPI-IO component (OMPIO)
   * loses blocks of these strided hyperslabs in collective writes (seen
   * here: a 2x2 mesh's dump missing whole shards in about one run in four);
   * each rank writing its own block independently is exact. */
  hid_t xfer = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_dxpl_mpio(xfer, H5FD_MPIO_INDEPENDENT);
  herr_t rc = writing ? H5Dwrite(ds, H5T_NATIVE_FLOAT, msp, fsp, xfer, local)
                      : H5Dread(ds, H5T_NATIVE_FLOAT, msp, fsp, xfer, local);
  H5Pclose(xfer);
  /* Attributes are written collectively, the same value on every rank. */
  long long d = (long long)*digest;
  int drc = writing ? hc_h5_attr_write_int(ds, "digest", d) : hc_h5_attr_read_int(ds, "digest", &d);
  if (drc) ok = 0;
  *digest = (uint64_t)d;
  H5Sclose(msp);
  H5Sclose(fsp);
  H5Dclose(ds);
  return (ok && rc >= 0) ? 0 : -1;
}

/* Every tensor of one buffer under `prefix`, with its digest (collective:
 * every rank goes through every tensor whatever fails). On a failure, `bad`
 * names the first tensor and *corrupt says whether its data were read but
 * do not match the stored digest. */
static int move_all(hid_t f, MPI_Comm comm, const char *prefix, const hc_params *p,
                    const float *buf, int writing, char *bad, size_t badlen, int *corrupt) {
  size_t n = p->n_tensors;
  uint64_t *mine = hc_calloc(n, sizeof(uint64_t)), *sum = hc_calloc(n, sizeof(uint64_t));
  int failed = 0;
  /* A frozen tensor (LoRA's base) has params but no gradient or optimizer
   * state: those buffers skip it, on every rank alike. */
#define HELD(t) (hc_tensor_in(p, buf, &p->tensors[t]) != NULL)
  if (writing) {
    for (size_t t = 0; t < n; t++)
      if (HELD(t)) mine[t] = block_digest(&p->tensors[t], hc_tensor_in(p, buf, &p->tensors[t]));
    MPI_Allreduce(mine, sum, (int)n, MPI_UINT64_T, MPI_SUM, comm);
  }
  for (size_t t = 0; t < n; t++) {
    if (!HELD(t)) continue;
    char name[256];
    snprintf(name, sizeof name, "%s/%s", prefix, p->tensors[t].spec.name);
    float *local = hc_tensor_in(p, buf, &p->tensors[t]);
    if (move_tensor(f, name, &p->tensors[t], local, writing, &sum[t]) && !failed) {
      snprintf(bad, badlen, "%s", name);
      failed = 1;
    }
  }
  int any;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_LOR, comm);
  if (!writing && !any) {
    uint64_t *got = hc_malloc(n * sizeof(uint64_t));
    for (size_t t = 0; t < n; t++)
      if (HELD(t)) mine[t] = block_digest(&p->tensors[t], hc_tensor_in(p, buf, &p->tensors[t]));
    MPI_Allreduce(mine, got, (int)n, MPI_UINT64_T, MPI_SUM, comm);
    for (size_t t = 0; t < n && !any; t++)
      if (got[t] != sum[t]) {
        snprintf(bad, badlen, "%s/%s", prefix, p->tensors[t].spec.name);
        any = *corrupt = 1;
      }
    free(got);
  }
  free(mine), free(sum);
  return any ? -1 : 0;
#undef HELD
}

static int save_common(const char *path, MPI_Comm comm, hid_t *fout, char *tmp, size_t tmplen,
                       char *err, size_t errlen) {
  *fout = hc_h5_create_tmp(path, comm, tmp, tmplen);
  int ok = *fout >= 0, all;
  MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_LAND, comm);
  if (!all) {
    if (*fout >= 0) hc_h5_finish(*fout, tmp, path, comm, 0);
    return hc_err(err, errlen, "%s: cannot create the file (directory missing or not writable?)", path);
  }
  return 0;
}

int hc_checkpoint_save(const char *path, MPI_Comm comm, const hc_params *local,
                       const hc_ckpt_meta *meta, char *err, size_t errlen) {
  char tmp[4096], bad[256] = "";
  hid_t f;
  if (save_common(path, comm, &f, tmp, sizeof tmp, err, errlen)) return -1;
  int ok = write_config(f, &local->cfg) == 0;
  ok = ok && hc_h5_attr_write_int(f, "step", meta->step) == 0;
  ok = ok && hc_h5_attr_write_int(f, "data_seed", (long long)meta->data_seed) == 0;
  ok = ok && hc_h5_attr_write_int(f, "data_epoch", (long long)meta->data_epoch) == 0;
  ok = ok && hc_h5_attr_write_int(f, "data_pos", (long long)meta->data_pos) == 0;
  ok = ok && hc_h5_attr_write_int(f, "init_seed", (long long)meta->init_seed) == 0;
  ok = ok && hc_h5_attr_write_int(f, "batch", meta->batch) == 0;
  ok = ok && hc_h5_attr_write_int(f, "seq", meta->seq) == 0;
  /* Collective calls: every rank runs all three, whatever happened above. */
  int corrupt = 0;
  ok &= move_all(f, comm, "/params", local, local->params, 1, bad, sizeof bad, &corrupt) == 0;
  ok &= move_all(f, comm, "/optim/m", local, local->m, 1, bad, sizeof bad, &corrupt) == 0;
  ok &= move_all(f, comm, "/optim/v", local, local->v, 1, bad, sizeof bad, &corrupt) == 0;
  if (hc_h5_finish(f, tmp, path, comm, ok))
    return hc_err(err, errlen, "%s: writing the checkpoint failed%s%s", path, bad[0] ? " at " : "", bad);
  return 0;
}

int hc_checkpoint_load(const char *path, MPI_Comm comm, hc_params *local, hc_ckpt_meta *meta,
                       char *err, size_t errlen) {
  hc_h5_quiet();
  int is_h5 = H5Fis_hdf5(path) > 0, all;
  MPI_Allreduce(&is_h5, &all, 1, MPI_INT, MPI_LAND, comm);
  if (!all) {
    FILE *probe = fopen(path, "rb");
    if (!probe) return hc_err(err, errlen, "%s: no such checkpoint file", path);
    fclose(probe);
    return hc_err(err, errlen, "%s: not a readable HDF5 file (corrupted or truncated?)", path);
  }
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  H5Pclose(fapl);
  if (f < 0)
    return hc_err(err, errlen, "%s: cannot open the checkpoint (truncated or corrupted?)", path);
  char bad[256] = "";
  int rc = check_config(f, path, &local->cfg, err, errlen);
  if (!rc) rc = check_lora(f, path, &local->cfg, err, errlen);
  long long v[7] = {0};
  if (!rc && (hc_h5_attr_read_int(f, "step", &v[0]) || hc_h5_attr_read_int(f, "data_seed", &v[1]) ||
              hc_h5_attr_read_int(f, "data_epoch", &v[2]) ||
              hc_h5_attr_read_int(f, "data_pos", &v[3]) ||
              hc_h5_attr_read_int(f, "init_seed", &v[4]) || hc_h5_attr_read_int(f, "batch", &v[5]) ||
              hc_h5_attr_read_int(f, "seq", &v[6])))
    rc = hc_err(err, errlen, "%s: checkpoint lacks its step or data-position attributes", path);
  if (!rc) {
    /* Collective reads: all ranks take part in every one. */
    int corrupt = 0;
    int ok = move_all(f, comm, "/params", local, local->params, 0, bad, sizeof bad, &corrupt) == 0;
    ok = ok && move_all(f, comm, "/optim/m", local, local->m, 0, bad, sizeof bad, &corrupt) == 0;
    ok = ok && move_all(f, comm, "/optim/v", local, local->v, 0, bad, sizeof bad, &corrupt) == 0;
    if (!ok && corrupt)
      rc = hc_err(err, errlen,
                  "%s: checksum mismatch in %s: the file is corrupted (its data do not match "
                  "the digest stored when it was written)", path, bad);
    else if (!ok)
      rc = hc_err(err, errlen, "%s: missing, misshapen or unreadable tensor %s (or no digest: "
                  "not written by this version of hecaton)", path, bad);
  }
  H5Fclose(f);
  if (rc) return -1;
  meta->step = (long)v[0], meta->data_seed = (uint64_t)v[1];
  meta->data_epoch = (uint64_t)v[2], meta->data_pos = (uint64_t)v[3];
  meta->init_seed = (uint64_t)v[4], meta->batch = (int)v[5], meta->seq = (int)v[6];
  return 0;
}

int hc_grad_dump(const char *path, MPI_Comm comm, const hc_params *local, const int *batch,
                 int b, int s, float loss, char *err, size_t errlen) {
  char tmp[4096], bad[256] = "";
  hid_t f;
  if (save_common(path, comm, &f, tmp, sizeof tmp, err, errlen)) return -1;
  int ok = write_config(f, &local->cfg) == 0;
  int corrupt = 0;
  ok &= move_all(f, comm, "/params", local, local->params, 1, bad, sizeof bad, &corrupt) == 0;
  ok &= move_all(f, comm, "/grads", local, local->grads, 1, bad, sizeof bad, &corrupt) == 0;
  /* Small datasets: every rank writes the same values collectively. */
  hsize_t bd[2] = {(hsize_t)b, (hsize_t)s + 1}, one = 1;
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t sp = H5Screate_simple(2, bd, NULL);
  hid_t ds = H5Dcreate2(f, "/batch/tokens", H5T_STD_I32LE, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  ok &= ds >= 0 && H5Dwrite(ds, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, batch) >= 0;
  if (ds >= 0) H5Dclose(ds);
  H5Sclose(sp);
  sp = H5Screate_simple(1, &one, NULL);
  ds = H5Dcreate2(f, "/loss", H5T_IEEE_F32LE, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  ok &= ds >= 0 && H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, &loss) >= 0;
  if (ds >= 0) H5Dclose(ds);
  H5Sclose(sp);
  H5Pclose(lcpl);
  if (hc_h5_finish(f, tmp, path, comm, ok))
    return hc_err(err, errlen, "%s: writing the gradient dump failed%s%s", path, bad[0] ? " at " : "", bad);
  return 0;
}

int hc_checkpoint_read_config(const char *path, hc_model_config *cfg, char *err, size_t errlen) {
  hc_h5_quiet();
  memset(cfg, 0, sizeof *cfg);
  hid_t f = hc_h5_open_read(path);
  if (f < 0) {
    FILE *probe = fopen(path, "rb");
    if (!probe) return hc_err(err, errlen, "%s: no such checkpoint file", path);
    fclose(probe);
    return hc_err(err, errlen, "%s: not a readable HDF5 file (corrupted or truncated?)", path);
  }
  int rc = 0;
  for (int k = 0; k < 7 && !rc; k++) {
    long long v;
    if (hc_h5_attr_read_int(f, kCfgInts[k], &v))
      rc = hc_err(err, errlen, "%s: no model attribute '%s' (not a hecaton checkpoint?)", path,
                  kCfgInts[k]);
    else if (v < 0 || v > 2147483647LL)
      rc = hc_err(err, errlen, "%s: model attribute %s = %lld is out of range", path, kCfgInts[k], v);
    else
      *cfg_int(cfg, k) = (int)v;
  }
  if (!rc && (hc_h5_attr_read_double(f, "norm_eps", &cfg->norm_eps) ||
              hc_h5_attr_read_double(f, "rope_theta", &cfg->rope_theta)))
    rc = hc_err(err, errlen, "%s: no norm_eps or rope_theta attribute (not a hecaton checkpoint?)",
                path);
  if (!rc && hc_h5_attr_read_string(f, "model", cfg->name, sizeof cfg->name))
    snprintf(cfg->name, sizeof cfg->name, "checkpoint");
  if (!rc) read_lora(f, cfg);
  H5Fclose(f);
  return rc ? rc : hc_model_config_validate(cfg, path, err, errlen);
}

static int load_params(const char *path, MPI_Comm comm, hc_params *local, int adapters, char *err,
                       size_t errlen) {
  hc_h5_quiet();
  int is_h5 = H5Fis_hdf5(path) > 0, all;
  MPI_Allreduce(&is_h5, &all, 1, MPI_INT, MPI_LAND, comm);
  if (!all) return hc_err(err, errlen, "%s: not a readable HDF5 file (missing, corrupted or truncated?)", path);
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  H5Pclose(fapl);
  if (f < 0) return hc_err(err, errlen, "%s: cannot open the checkpoint (truncated or corrupted?)", path);
  int rc = check_config(f, path, &local->cfg, err, errlen);
  if (!rc && adapters) rc = check_lora(f, path, &local->cfg, err, errlen);
  if (!rc) {
    /* the base model's tensors lead the table; adapters (other kinds) follow */
    hc_params base = *local;
    base.n_tensors = 0;
    while (base.n_tensors < local->n_tensors && local->tensors[base.n_tensors].spec.kind < HC_P_NKINDS)
      base.n_tensors++;
    if (adapters) base.n_tensors = local->n_tensors;
    char bad[256] = "";
    int corrupt = 0;
    if (move_all(f, comm, "/params", &base, local->params, 0, bad, sizeof bad, &corrupt)) {
      if (corrupt)
        rc = hc_err(err, errlen, "%s: checksum mismatch in %s: the file is corrupted (its data do "
                    "not match the digest stored when it was written)", path, bad);
      else
        rc = hc_err(err, errlen, "%s: missing, misshapen or unreadable tensor %s", path, bad);
    }
  }
  H5Fclose(f);
  return rc;
}

int hc_checkpoint_load_params(const char *path, MPI_Comm comm, hc_params *local, char *err,
                              size_t errlen) {
  return load_params(path, comm, local, 0, err, errlen);
}

int hc_checkpoint_load_all_params(const char *path, MPI_Comm comm, hc_params *local, char *err,
                                  size_t errlen) {
  return load_params(path, comm, local, 1, err, errlen);
}
