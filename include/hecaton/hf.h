/* hf.h: Hugging Face Llama checkpoints (config.json + safetensors) in and
 * out of the project's parameter table, and the weights a run starts from
 * (train --init: a Hugging Face folder or a hecaton checkpoint).
 *
 * Names: model.embed_tokens.weight -> tok_embeddings.weight;
 * model.layers.{l}.input_layernorm -> layers.{l}.attention_norm,
 * self_attn.{q,k,v,o}_proj -> attention.w{q,k,v,o},
 * post_attention_layernorm -> ffn_norm, mlp.gate_proj -> feed_forward.w1,
 * mlp.down_proj -> w2, mlp.up_proj -> w3; model.norm -> norm;
 * lm_head -> output. With tie_word_embeddings (no lm_head tensor) the
 * embedding is copied into output.weight: finetuning then unties them, and
 * an export writes both (tie_word_embeddings false).
 *
 * RoPE: hecaton rotates adjacent pairs (2k, 2k+1) of each head, as Meta's
 * reference; Hugging Face's conversion permuted the rows of q_proj and
 * k_proj per head for its rotate-half RoPE: HF row hd*d + i*d/2 + k holds
 * Meta row hd*d + 2k + i (i = 0, 1; k < d/2). Import undoes it, export
 * redoes it, so both compute the same logits.
 *
 * Tensors of the table that are not a base kind (LoRA adapters) have no
 * Hugging Face counterpart: import leaves them as initialised, export
 * skips them. Each rank reads (pread) only the rows of its own block. */
#ifndef HECATON_HF_H
#define HECATON_HF_H

#include <mpi.h>
#include <stddef.h>

#include "hecaton/model_config.h"
#include "hecaton/params.h"
#include "hecaton/safetensors.h"

/* dir/config.json -> cfg (name: the folder's base name); *tied receives
 * tie_word_embeddings. Refuses what hecaton's Llama cannot compute
 * (rope_scaling, biases, another activation or head_dim): 0 or -1 with
 * one message. */
int hc_hf_config_load(const char *dir, hc_model_config *cfg, int *tied, char *err, size_t errlen);

/* Fill local->params' base tensors (every rank its block) from dir's
 * safetensors; the shapes are checked against local->cfg. Not collective
 * (the caller agrees on the verdict); the header checks give every rank
 * the same message. */
int hc_hf_load(const char *dir, hc_params *local, char *err, size_t errlen);

/* ---- export --------------------------------------------------------------------
 * Row sharding for import and export: rank k of N holds rows
 * [R k / N, R (k+1) / N) of every tensor, whole (ctx: int[2] {rank, size}). */
void hc_hf_shard_rows(void *ctx, size_t t, const hc_param_spec *spec, size_t out[5]);

/* What export writes for a base tensor: its rows as this rank holds them
 * (nr x nc floats of `rows`, a copy of local's block that the hook may
 * change in place). The hook is where `export --merge-lora` folds the
 * adapters into their base weights (W + alpha/r B A); NULL writes the
 * weights as they are. */
typedef void (*hc_hf_export_hook)(void *arg, const hc_params *local, size_t t, float *rows);

/* Write dir/config.json and dir/model.safetensors (dtype d) from local,
 * row-sharded (hc_hf_shard_rows) over comm; each under a temporary name,
 * renamed when every rank has written its rows. Collective: 0, or -1 with
 * a message on every rank. */
int hc_hf_export(const char *dir, MPI_Comm comm, const hc_params *local, hc_st_dtype d,
                 hc_hf_export_hook hook, void *hook_arg, char *err, size_t errlen);

/* ---- the weights a run starts from (train --init PATH) ------------------------
 * PATH is a Hugging Face folder or a hecaton checkpoint (.h5): its model
 * config (0 or -1 with a message), then its parameters into every rank's
 * block (base tensors only; Adam state untouched, step 0). hc_init_load is
 * collective over comm and returns -1 with the same verdict on every rank
 * (the message from one). */
int hc_init_config(const char *path, hc_model_config *cfg, char *err, size_t errlen);
int hc_init_load(const char *path, MPI_Comm comm, hc_params *local, char *err, size_t errlen);

/* Do two configs describe the same base model? 0, or -1 naming the first
 * field that differs and both values. */
int hc_model_config_same(const hc_model_config *a, const hc_model_config *b, const char *an,
                         const char *bn, char *err, size_t errlen);

#endif
