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
