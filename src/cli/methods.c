/* methods.c: the parallel methods by name (the registry, methods.h) on a
 * command's mesh, and model files by name. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hecaton/methods.h"
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
  return hc_method_check(name, cfg, env->mesh.topo.R, env->mesh.topo.C, b, s, err, errlen);
}

void hc_cli_method_make(const char *name, hc_cli_env *env, const hc_model_config *cfg, int b,
                        int s, int phantom, const hc_method_opts *o, hc_method *m, hc_params *p) {
  const hc_method_desc *d = hc_method_find(name);
  HC_ASSERT(d != NULL); /* names are checked first (hc_cli_method_check) */
  d->make(m, p, &env->comm, cfg, b, s, phantom, o);
}

void hc_cli_method_free(hc_method *m) { hc_method_of(m)->free(m); }

void hc_cli_help_methods(int mesh_only) {
  for (int k = 0; k < hc_n_methods; k++)
    if (!mesh_only || hc_methods[k].on_mesh)
      printf("      %-13s %s\n", hc_methods[k].name, hc_methods[k].summary);
}

int hc_cli_method_names(const char *list, const char *what, int mesh_only, hc_cli_method_set *set,
                        char *err, size_t errlen) {
  set->n = 0;
  if (!list) { /* the registry's mesh methods, in its order */
    for (int k = 0; k < hc_n_methods && set->n < HC_CLI_MAX_METHODS; k++)
      if (hc_methods[k].on_mesh) set->names[set->n++] = hc_methods[k].name;
    return set->n;
  }
  if (strlen(list) >= sizeof set->buf) return hc_err(err, errlen, "%slist too long", what);
  strcpy(set->buf, list);
  for (char *t = strtok(set->buf, ","); t && set->n < HC_CLI_MAX_METHODS; t = strtok(NULL, ",")) {
    const hc_method_desc *d = hc_method_find(t);
    if (!d || (mesh_only && !d->on_mesh)) /* a misspelt name is an error, not a row */
      return hc_err(err, errlen, "%s'%s': expected %s", what, t, hc_method_list(mesh_only));
    set->names[set->n++] = t;
  }
  return set->n;
}
