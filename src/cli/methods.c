/* methods.c: the parallel methods by name, for the commands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hecaton/parallel.h"
#include "hecaton/util.h"

const char *hc_cli_model_path(const char *arg, char *buf, size_t len) {
  if (strchr(arg, '/') || strstr(arg, ".ini")) return arg;
  char rel[512];
  snprintf(rel, sizeof rel, "models/%s.ini", arg);
  const char *found = hc_cli_find_file(rel, buf, len);
  if (found != buf) {
    snprintf(buf, len, "%s", rel);
    return buf;
  }
  return found;
}

int hc_cli_method_check(const char *name, const hc_cli_env *env, const hc_model_config *cfg,
                        int b, int s, char *err, size_t errlen) {
  const hc_topo *t = &env->mesh.topo;
  if ((long long)b * s > (1LL << 30))
    return hc_err(err, errlen, "--batch %d x --seq %d = %lld tokens per step: at most 2^30", b, s,
                  (long long)b * s);
  if (s > cfg->max_seq_len)
    return hc_err(err, errlen, "--seq %d is longer than the model's max_seq_len %d", s,
                  cfg->max_seq_len);
  if (!strcmp(name, "single")) {
    if (t->R * t->C != 1)
      return hc_err(err, errlen,
                    "--method single runs on one rank, but mpirun started %d: use mpirun -np 1",
                    t->R * t->C);
    return 0;
  }
  if (!strcmp(name, "hecaton")) return hc_hecaton_check(cfg, t->R, t->C, b, err, errlen);
  if (!strcmp(name, "megatron") || !strcmp(name, "megatron-sp"))
    return hc_megatron_check(cfg, t->R * t->C, b, s, name[8] == '-', err, errlen);
  if (!strcmp(name, "summa")) return hc_summa_check(cfg, t->R, t->C, b, err, errlen);
  return hc_err(err, errlen,
                "--method '%s': expected single, hecaton, megatron, megatron-sp or summa", name);
}

void hc_cli_method_make(const char *name, hc_cli_env *env, const hc_model_config *cfg, int b,
                        int s, int phantom, const hc_method_opts *o, hc_method *m, hc_params *p) {
  if (!strcmp(name, "single")) {
    hc_params_alloc(p, cfg);
    hc_single_method(m, p, b, s);
    hc_single_method_costed(m, &env->ledger, hc_par_charge);
    m->phantom = phantom;
    return;
  }
  int save = o ? o->save_gathered : 0;
  if (!strcmp(name, "summa")) {
    hc_summa_method(m, p, &env->comm, cfg, b, s, phantom);
    return;
  }
  if (!strncmp(name, "megatron", 8)) {
    hc_megatron_method(m, p, &env->comm, cfg, b, s, name[8] == '-', phantom, save);
    return;
  }
  hc_hecaton_opts ho = {.save_gathered = save, .algo = HC_ALGO_DEFAULT,
                        .chunks = o ? o->chunks : 1};
  hc_hecaton_method(m, p, &env->comm, cfg, b, s, phantom, &ho);
}

void hc_cli_method_free(hc_method *m) {
  if (!strcmp(m->name, "hecaton")) hc_hecaton_free(m);
  else if (!strncmp(m->name, "megatron", 8)) hc_megatron_free(m);
  else if (!strcmp(m->name, "summa")) hc_summa_free(m);
  else {
    hc_single_free(m);
    hc_params_free(m->p);
  }
}
