/* attention.c: causal grouped-query attention on whole sequences. Plain
 * loops (one query row at a time), as in llm.c's attention_forward: this is
 * the reference the parallel methods are checked against. */
#include <math.h>
#include <stdlib.h>

#include "hecaton/kernels.h"
#include "hecaton/util.h"

void hc_attention_forward(float *out, float *lse, const float *q, const float *k,
                          const float *v, int b, int s, int n_heads, int n_kv_heads,
                          int head_dim) {
  HC_ASSERT(n_kv_heads > 0 && n_heads % n_kv_heads == 0);
  size_t S = (size_t)s, NH = (size_t)n_heads, D = (size_t)head_dim;
  size_t qw = NH * D, kvw = (size_t)n_kv_heads * D, group = NH / (size_t)n_kv_heads;
  float scale = 1.0f / sqrtf((float)head_dim);
  float *p = hc_malloc(S * sizeof(float));
  for (size_t bi = 0; bi < (size_t)b; bi++)
    for (size_t hq = 0; hq < NH; hq++) {
      size_t hk = hq / group;
      for (size_t t = 0; t < S; t++) {
        const float *qt = q + (bi * S + t) * qw + hq * D;
        float maxv = -INFINITY;
        for (size_t u = 0; u <= t; u++) { /* causal: keys 0..t only */
          const float *ku = k + (bi * S + u) * kvw + hk * D;
          float dot = 0.0f;
          for (size_t c = 0; c < D; c++) dot += qt[c] * ku[c];
          p[u] = dot * scale;
          if (p[u] > maxv) maxv = p[u];
        }
        float sum = 0.0f;
        for (size_t u = 0; u <= t; u++) {
          p[u] = expf(p[u] - maxv);
          sum += p[u];
        }
        float inv = 1.0f / sum;
        float *ot = out + (bi * S + t) * qw + hq * D;
        for (size_t c = 0; c < D; c++) ot[c] = 0.0f;
        for (size_t u = 0; u <= t; u++) {
          const float *vu = v + (bi * S + u) * kvw + hk * D;
          float w = p[u] * inv;
          for (size_t c = 0; c < D; c++) ot[c] += w * vu[c];
        }
        lse[(bi * NH + hq) * S + t] = maxv + logf(sum);
      }
    }
  free(p);
}

/* Per query row t: P_u = exp(S_u - lse), out = sum_u P_u v_u. With
 * dP_u = dout . v_u, the softmax Jacobian gives dS_u = P_u (dP_u - sum_w P_w dP_w);
 * then dq_t = scale sum_u dS_u k_u, dk_u += scale dS_u q_t, dv_u += P_u dout. */
void hc_attention_backward(float *dq, float *dk, float *dv, const float *dout,
                           const float *lse, const float *q, const float *k, const float *v,
                           int b, int s, int n_heads, int n_kv_heads, int head_dim) {
  HC_ASSERT(n_kv_heads > 0 && n_heads % n_kv_heads == 0);
  size_t S = (size_t)s, NH = (size_t)n_heads, D = (size_t)head_dim;
  size_t qw = NH * D, kvw = (size_t)n_kv_heads * D, group = NH / (size_t)n_kv_heads;
  float scale = 1.0f / sqrtf((float)head_dim);
  float *p = hc_malloc(S * sizeof(float)), *dp = hc_malloc(S * sizeof(float));
  for (size_t bi = 0; bi < (size_t)b; bi++)
    for (size_t hq = 0; hq < NH; hq++) {
      size_t hk = hq / group;
      for (size_t t = 0; t < S; t++) {
        size_t qi = (bi * S + t) * qw + hq * D;
        const float *qt = q + qi, *dot_ = dout + qi;
        float l = lse[(bi * NH + hq) * S + t], pdp = 0.0f;
        for (size_t u = 0; u <= t; u++) {
          size_t ki = (bi * S + u) * kvw + hk * D;
          float sc = 0.0f, d = 0.0f;
          for (size_t c = 0; c < D; c++) {
            sc += qt[c] * k[ki + c];
            d += dot_[c] * v[ki + c];
          }
          p[u] = expf(sc * scale - l);
          dp[u] = d;
          pdp += p[u] * d;
        }
        float *dqt = dq + qi;
        for (size_t u = 0; u <= t; u++) {
          size_t ki = (bi * S + u) * kvw + hk * D;
          float ds = p[u] * (dp[u] - pdp) * scale;
          for (size_t c = 0; c < D; c++) {
            dqt[c] += ds * k[ki + c];
            dk[ki + c] += ds * qt[c];
            dv[ki + c] += p[u] * dot_[c];
          }
        }
      }
    }
  free(p);
  free(dp);
}
