/* trace.c: the Chrome Trace Event file of a step's timeline (JSON; opens in
 * https://ui.perfetto.dev or chrome://tracing): one process per chiplet,
 * named "chiplet (i,j)", one thread per engine (compute, NoP, DRAM),
 * complete ("X") events in microseconds from the step's first event. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "hecaton/pictures.h"
#include "hecaton/util.h"

/* JSON string body: quotes, backslashes and control characters escaped. */
static void json_text(FILE *f, const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 0x20) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
}

int hc_trace_json_events(const hc_topo *t, int nodes, const size_t *counts, const hc_event *events,
                         const char *path, char *err, size_t errlen) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) return hc_err(err, errlen, "%s: cannot write (directory missing or not writable?)", path);
  size_t total = 0;
  double t0 = INFINITY;
  for (int r = 0; r < nodes; r++) total += counts[r];
  for (size_t k = 0; k < total; k++) t0 = fmin(t0, events[k].start);
  if (!isfinite(t0)) t0 = 0;
  fprintf(f, "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n");
  const hc_event *ev = events;
  for (int r = 0; r < nodes; r++) {
    fprintf(f, "%s{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": %d, \"tid\": 0, \"ts\": 0, "
               "\"args\": {\"name\": \"chiplet (%d,%d)\"}}",
            r ? ",\n" : "", r, r / t->C, r % t->C);
    fprintf(f, ",\n{\"name\": \"process_sort_index\", \"ph\": \"M\", \"pid\": %d, \"tid\": 0, "
               "\"ts\": 0, \"args\": {\"sort_index\": %d}}", r, r);
    for (int e = 0; e < HC_NENGINES; e++)
      fprintf(f, ",\n{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": %d, \"tid\": %d, \"ts\": 0, "
                 "\"args\": {\"name\": \"%s\"}}", r, e, hc_engine_name(e));
    for (size_t k = 0; k < counts[r]; k++, ev++) {
      double dur = ev->end - ev->start;
      fprintf(f, ",\n{\"name\": \"");
      json_text(f, ev->name);
      fprintf(f, "\", \"ph\": \"X\", \"pid\": %d, \"tid\": %d, \"ts\": %.4f, \"dur\": %.4f}", r,
              ev->engine, (ev->start - t0) * 1e6, (dur > 0 ? dur : 0) * 1e6);
    }
  }
  fprintf(f, "\n]}\n");
  int bad = ferror(f);
  if (fclose(f) || bad || rename(tmp, path)) {
    remove(tmp);
    return hc_err(err, errlen, "%s: cannot write", path);
  }
  return 0;
}
