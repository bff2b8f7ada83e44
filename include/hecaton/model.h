/* model.h: the Llama layer sequence, written once for every parallel method.
 *
 * A method (hc_method) supplies the layouts and the parallel operations:
 * where the residual stream lives (layout L1: T1 tokens x h1 features) and
 * where heads and FFN columns live (layout L2: T2 tokens of b2 whole
 * sequences x nh2 query heads, nkv2 KV heads, f2 FFN columns, V2 vocabulary
 * columns), the embedding, the RMSNorm statistics, the linears between L1
 * and L2 and the loss. The model code below names the layout changes; the
 * method does them (and counts them, when it communicates). RoPE,
 * attention, SwiGLU and residual adds are local in every method.
 *
 * No MPI here: the single-process reference is one method (single.c); the
 * mesh methods live in src/parallel. In phantom mode (dry-run) no activation
 * is allocated and no kernel runs: the method's operations still run their
 * schedule, so the ledger is the one of a real step. */
#ifndef HECATON_MODEL_H
#define HECATON_MODEL_H

#include "hecaton/model_config.h"
#include "hecaton/params.h"
#include "hecaton/workset.h"

typedef struct hc_method hc_method;

/* Activation recomputation (Korthikanti et al. 2022, "Reducing Activation
 * Recomputation in Large Transformer Models"), for every method:
 *   selective (the default): the s x s attention probabilities are not kept;
 *     attention's backward recomputes them from q, k and the saved
 *     log-sum-exp (one more QK^T sgemm and exp per score, charged as
 *     backward FLOPs: hc_flops_attention_recompute);
 *   none: forward keeps the probabilities of every layer (b2 x nh2 x s x s
 *     per layer, the heads this chiplet holds: HC_ACT_PROBS) and backward
 *     reads them, charging no recomputation (the gradients are the same bit
 *     for bit: the same sgemm and exp give the same values);
 *   full: each layer keeps its input only and backward runs the layer's
 *     forward again (its FLOPs and collectives counted again, as forward)
 *     before the layer's backward, whose attention recomputes as selective. */
typedef enum { HC_RECOMPUTE_SELECTIVE = 0, HC_RECOMPUTE_NONE, HC_RECOMPUTE_FULL } hc_recompute;
const char *hc_recompute_name(hc_recompute r);
/* "none", "selective", "full": 0, else -1. */
int hc_parse_recompute(const char *s, hc_recompute *out);

typedef struct {
  /* x1 (T1, h1) <- embedding of the tokens (T global inputs, all chiplets) */
  void (*embed_fwd)(hc_method *m, float *x1, const int *tokens);
  void (*embed_bwd)(hc_method *m, const float *dx1, const int *tokens);
  /* RMSNorm in L1, gain g (h1); rstd (T1) saved. dx1, dg +=. */
  void (*norm_fwd)(hc_method *m, float *out1, float *rstd, const float *x1, const float *g);
  void (*norm_bwd)(hc_method *m, float *dx1, float *dg, const float *dout1, const float *rstd,
                   const float *x1, const float *g);
  /* n linears sharing the input x1 (L1) -> y2[k] (T2, nout2[k]) in L2, with
   * local weight shards w[k] (nout2[k], h1). Backward: dx1 +=, dw[k] +=. */
  void (*lin12_fwd)(hc_method *m, int n, float *const *y2, const float *x1,
                    const float *const *w, const int *nout2);
  void (*lin12_bwd)(hc_method *m, int n, float *dx1, float *const *dw, const float *const *dy2,
                    const float *x1, const float *const *w, const int *nout2);
  /* x2 (T2, nin2) in L2 -> y1 (T1, h1) in L1, weight shard w (h1, nin2).
   * Backward: dx2 +=, dw +=. */
  void (*lin21_fwd)(hc_method *m, float *y1, const float *x2, const float *w, int nin2);
  void (*lin21_bwd)(hc_method *m, float *dx2, float *dw, const float *dy1, const float *x2,
                    const float *w, int nin2);
  /* Mean cross-entropy over all T tokens from logits2 (T2, V2); writes (=)
   * dlogits2. targets: the T global targets. Returns the global loss. */
  float (*loss)(hc_method *m, float *dlogits2, const float *logits2, const int *targets);
  /* After backward: whatever gradient reductions the method owes (norm
   * gains held by several chiplets, replicated KV heads). May be NULL. */
  void (*grads_done)(hc_method *m);
  /* Global sum of squares of the gradients (for clipping). */
  double (*grad_sumsq)(hc_method *m);
  /* Account `flops` of local compute to the cost model under a phase and
   * op kind (NULL: the method keeps no cost model). */
  void (*charge)(hc_method *m, int phase, int op, double flops, const char *name);
  /* LoRA (lora.h): the groups (hc_group *, comm.h) of chiplets holding the
   * same part of adapter A (b = 0) or B (b = 1) of a `target` linear, over
   * which its gradient shares are summed in turn; returns how many (<= 3).
   * NULL: no groups (a single process). */
  int (*adapter_groups)(hc_method *m, hc_param_kind target, int b, void *groups[3]);
} hc_method_ops;

struct hc_method {
  const char *name;
  hc_model_config cfg;
  int b, s;           /* global batch: b sequences of s tokens */
  int T1, h1;         /* layout L1 */
  int b2, T2;         /* layout L2: b2 whole sequences, T2 = b2 * s tokens */
  int nh2, nkv2;      /* query / KV heads held in L2 */
  int f2, V2;         /* FFN and vocabulary columns held in L2 */
  size_t t0_2, v0_2;  /* L2 block origin: first token, first vocabulary column */
  int phantom;        /* dry-run: no data, no FLOPs */
  int forward_only;   /* validation: no backward follows (keep nothing for it) */
  hc_recompute recompute; /* what forward keeps for backward and what
                         backward computes again (above) */
  unsigned frozen;    /* set by the model around a linear's backward: bit k
                         means weight k of the call is frozen (LoRA's base):
                         its dW is NULL and neither computed nor charged */
  int lora_thin;      /* the method takes LoRA's adapters into its linears'
                         backward (lora[k] below); else the model projects
                         the dW' the method leaves */
  const struct hc_lora_call *lora[3]; /* set with frozen: weight k of the call
                         is a LoRA target (lora.h); NULL otherwise */
  double saved_extra; /* floats a method keeps for backward beyond the model's
                         activations (gathered inputs with save_gathered) */
  hc_params *p;       /* this chiplet's parameter shards (local shapes) */
  const hc_method_ops *ops;
  void *ctx;          /* the method's own state */
  void *ledger;       /* its cost model (an hc_ledger), opaque to the model code */
  const hc_workset *ws; /* what the operation the model runs next needs on the
                           die (set around the call; its first charge hands it
                           to the cost model) */
};

/* The activations of one step, as a table (in the spirit of llm.c's): each
 * has a name, a size per layer (or for the whole model) from the method's
 * layouts, and whether backward needs it saved. One allocation holds them
 * all; the same table gives the memory report and the closed form of what
 * a step keeps for backward (hc_model_saved_floats). */
enum hc_act {
  /* saved for backward */
  HC_ACT_X,       /* residual stream entering each layer, then the final one: (L+1) x (T1, h1) */
  HC_ACT_XN1, HC_ACT_RSTD1,             /* attention norm output and 1/rms, per layer */
  HC_ACT_Q, HC_ACT_K, HC_ACT_V,         /* after RoPE, layout L2 */
  HC_ACT_ATT, HC_ACT_LSE,               /* attention output, log-sum-exp per row */
  HC_ACT_PROBS,                         /* recompute none: the s x s probabilities of
                                           each sequence and head (else empty) */
  HC_ACT_XMID, HC_ACT_XN2, HC_ACT_RSTD2, /* after the attention block, FFN norm */
  HC_ACT_GATE, HC_ACT_UP, HC_ACT_HSW,   /* SwiGLU inputs and output */
  HC_ACT_XNF, HC_ACT_RSTDF,             /* final norm */
  HC_ACT_LOGITS, HC_ACT_DLOGITS,        /* (T2, V2) each */
  HC_ACT_NSAVED,
  /* backward scratch */
  HC_ACT_BUF1A = HC_ACT_NSAVED, HC_ACT_BUF1B, /* (T1, h1) */
  HC_ACT_BUF2A, HC_ACT_BUF2B, HC_ACT_BUF2C, HC_ACT_BUF2D, HC_ACT_BUF2E, /* the largest L2 tensor */
  HC_NACTS
};
typedef struct {
  const char *name;
  size_t per;    /* floats per copy */
  size_t copies; /* layers (or 1) */
} hc_act_size;
/* The table for method m: sizes[k] for activation k; returns the total
 * floats. */
size_t hc_model_act_table(const hc_method *m, hc_act_size sizes[HC_NACTS]);

typedef struct {
  hc_method *m;
  int L;
  float *mem;      /* the one allocation (NULL in phantom mode) */
  float *act[HC_NACTS]; /* each activation's start in mem */
  hc_act_size size[HC_NACTS];
  int *tokens, *targets; /* (T) each */
  size_t bytes;    /* activation memory held (with LoRA's working copies) */
  /* LoRA (model_config.h): per target kind, the merged block W' of the
   * layer last merged (lora_layer) and its gradient dW'; a sink for the
   * gains' gradients, which a frozen base does not keep. */
  float *lora_w[HC_P_NKINDS], *lora_dw[HC_P_NKINDS], *lora_sink, *lora_tmp;
  int lora_layer[HC_P_NKINDS];
  struct hc_lora_call *lora_call; /* [3]: handed to a lora_thin method */
  float loss;
  /* Optional: called after each layer of forward (backward = 0) and of
   * backward (1), e.g. to show progress of a long dry-run. */
  void (*progress)(void *arg, int backward, int layer, int L);
  void *progress_arg;
  /* names used by the layer code */
  float *x, *xn1, *rstd1, *q, *k, *v, *att, *lse, *probs, *xmid, *xn2, *rstd2, *gate, *up, *hsw;
  float *xnf, *rstdf, *logits, *dlogits;
  float *buf1a, *buf1b, *buf2a, *buf2b, *buf2c, *buf2d, *buf2e;
} hc_model;

void hc_model_init(hc_model *md, hc_method *m);
void hc_model_free(hc_model *md);
/* batch: (b, s+1) token ids, the same on every chiplet. Returns the loss. */
float hc_model_forward(hc_model *md, const int *batch);
/* Gradients += (the caller zeroes them once per step), then grads_done. */
void hc_model_backward(hc_model *md);

/* Weight k of the linear being differentiated: its gradient dY^T X (dY
 * T x nout, X T x nin) as the call asks: the dense dW into dw (NULL when
 * frozen or a thin LoRA target), or LoRA's adapters' gradients (lora.h).
 * Returns the FLOPs it took (the same in phantom mode, where nothing runs). */
double hc_method_wgrad(hc_method *m, int k, float *dw, const float *dy, const float *x, int T,
                       int nin, int nout);

/* Charge local compute through the method (nothing when it keeps no cost
 * model). phase and op as in ledger.h. */
void hc_method_charge(hc_method *m, int phase, int op, double flops, const char *name);
/* The same for an operation of the model itself, stating its working set. */
void hc_method_charge_ws(hc_method *m, int phase, int op, double flops, const hc_workset *ws,
                         const char *name);

/* FLOPs of one training step of the whole model (all chiplets) on b
 * sequences of s tokens: forward = 2 x (multiply-adds of every linear)
 * + causal attention (QK^T and PV over the s(s+1)/2 visible pairs);
 * backward = twice the forward. Norms, RoPE, SwiGLU and the optimizer are
 * left out (a few percent at most for these shapes). */
double hc_model_step_flops(const hc_model_config *c, int b, int s);

/* Floats of activations a step must keep for backward under m's layouts:
 * the saved rows of the activation table (residual stream, normed inputs
 * and statistics, q, k, v, attention output and log-sum-exp, the attention
 * probabilities without recomputation, gate, up,
 * SwiGLU output, logits and their gradient) plus what the method itself
 * keeps (saved_extra); the measured allocation adds the backward scratch. */
double hc_model_saved_floats(const hc_method *m);

/* The single-process reference method over full tensors in p. */
void hc_single_method(hc_method *m, hc_params *p, int b, int s);
/* Give it a cost model: its operations charge their FLOPs through `charge`
 * (with `cost` as m->ledger), as the mesh methods do; hc_single_free undoes. */
void hc_single_method_costed(hc_method *m, void *cost,
                             void (*charge)(hc_method *m, int phase, int op, double flops,
                                            const char *name));
void hc_single_free(hc_method *m);

#endif
