"""Makes nabla-attention's reference cases with PyTorch.

Run from a virtual environment with torch and safetensors installed (as benches/pytorch/):
    python crates/nabla-attention/tests/golden/make_attention.py
It writes each case's file beside this script and index.json, which records each case's
PyTorch call. Every value is float32, computed with one thread.

Each file holds the inputs, boolean masks as 1.0/0.0, and a module's parameters under its
state-dict names (PyTorch's initialisation from the case's seed). It also holds `output`
(and `weights` where asked for), a random `grad_output`, and the gradients of
`sum(output * grad_output)`, as `grad_<input>` and `grad_<parameter>`.
"""
import json
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

torch.set_num_threads(1)
here = os.path.dirname(os.path.abspath(__file__))
index = []


def save(name, call, seed, tensors, note=""):
    path = os.path.join(here, name + ".safetensors")
    save_file({k: v.detach().float().contiguous() for k, v in tensors.items()}, path + ".tmp")
    os.replace(path + ".tmp", path)
    index.append({"case": name, "file": name + ".safetensors", "call": call, "seed": seed, "note": note,
                  "tensors": sorted(tensors)})
    print(name, {k: tuple(v.shape) for k, v in tensors.items() if not k.startswith("grad_")})


def backward(out, leaves, tensors):
    g = torch.randn_like(out)
    out.backward(g)
    tensors["grad_output"] = g
    for name, leaf in leaves.items():
        tensors[f"grad_{name}"] = leaf.grad


def sdpa(name, seed, q_shape, k_shape, v_shape, call, mask=None, **kwargs):
    torch.manual_seed(seed)
    q, k, v = (torch.randn(*s, requires_grad=True) for s in (q_shape, k_shape, v_shape))
    tensors = {"q": q, "k": k, "v": v}
    if mask is not None:
        tensors["mask"] = mask.float() if mask.dtype == torch.bool else mask
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, **kwargs)
    tensors["output"] = out
    backward(out, {"q": q, "k": k, "v": v}, tensors)
    save(name, call, seed, tensors)


sdpa("sdpa_plain", 1, (2, 3, 5, 8), (2, 3, 7, 8), (2, 3, 7, 6), "F.scaled_dot_product_attention(q, k, v)")
torch.manual_seed(100)
allow = torch.rand(5, 7) > 0.4
allow[:, 0] = True  # every query attends somewhere
sdpa("sdpa_bool_mask", 2, (2, 3, 5, 8), (2, 3, 7, 8), (2, 3, 7, 6),
     "F.scaled_dot_product_attention(q, k, v, attn_mask=mask.bool())  # True: attends", mask=allow)
torch.manual_seed(101)
additive = torch.randn(2, 1, 5, 7)
sdpa("sdpa_additive_mask", 3, (2, 3, 5, 8), (2, 3, 7, 8), (2, 3, 7, 6),
     "F.scaled_dot_product_attention(q, k, v, attn_mask=mask)", mask=additive)
sdpa("sdpa_causal", 4, (2, 2, 6, 4), (2, 2, 6, 4), (2, 2, 6, 4),
     "F.scaled_dot_product_attention(q, k, v, is_causal=True)", is_causal=True)
sdpa("sdpa_causal_rect_scale", 5, (3, 4, 8), (3, 6, 8), (3, 6, 5),
     "F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3)", is_causal=True, scale=0.3)


def module_case(name, seed, construct, train, inputs, call, masks=None):
    """A module called on named inputs; `call(module, inputs, masks)` returns (output, weights)."""
    torch.manual_seed(seed)
    module = eval(construct, {"torch": torch})
    module.train(train)
    state = {k: v.detach().clone() for k, v in module.state_dict().items()}
    leaves = {n: torch.randn(*s, requires_grad=True) for n, s in inputs.items()}
    masks = masks or {}
    out, weights = call(module, leaves, masks)
    tensors = dict(state, **leaves)
    tensors.update({n: m.float() for n, m in masks.items()})
    tensors["output"] = out
    if weights is not None:
        tensors["weights"] = weights
    backward(out, dict(leaves, **dict(module.named_parameters())), tensors)
    save(name, f"{construct}.train({train}); {call.__doc__}", seed, tensors)


def mha_self(m, x, masks):
    """output, weights = mha(input, input, input, key_padding_mask=key_padding_mask.bool(), attn_mask=attn_mask.bool(), need_weights=True)"""
    return m(x["input"], x["input"], x["input"], key_padding_mask=masks["key_padding_mask"],
             attn_mask=masks["attn_mask"], need_weights=True)


padding = torch.zeros(2, 5, dtype=torch.bool)
padding[1, 3:] = True  # the second sequence has 3 tokens
causal_block = torch.ones(5, 5, dtype=torch.bool).triu(1)  # True: blocked
module_case("mha_self_batch_first", 11, "torch.nn.MultiheadAttention(8, 2, batch_first=True)", True,
            {"input": (2, 5, 8)}, mha_self, {"key_padding_mask": padding, "attn_mask": causal_block})


def mha_cross(m, x, masks):
    """output, weights = mha(query, key, value, attn_mask=attn_mask, need_weights=True, average_attn_weights=False)"""
    return m(x["query"], x["key"], x["value"], attn_mask=masks["attn_mask"], need_weights=True,
             average_attn_weights=False)


torch.manual_seed(102)
module_case("mha_cross_seq_first_eval", 12, "torch.nn.MultiheadAttention(8, 4, dropout=0.1)", False,
            {"query": (4, 2, 8), "key": (6, 2, 8), "value": (6, 2, 8)}, mha_cross,
            {"attn_mask": torch.randn(4, 6)})


def encoder_masked(m, x, masks):
    """output = layer(input, src_mask=src_mask, src_key_padding_mask=src_key_padding_mask.bool())"""
    return m(x["input"], src_mask=masks["src_mask"], src_key_padding_mask=masks["src_key_padding_mask"]), None


causal_additive = torch.nn.Transformer.generate_square_subsequent_mask(5)
module_case("encoder_layer_post_relu_train", 21,
            "torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True)", True,
            {"input": (2, 5, 8)}, encoder_masked,
            {"src_mask": causal_additive, "src_key_padding_mask": padding})


def encoder_causal(m, x, masks):
    """output = layer(input, src_mask=src_mask, is_causal=True)"""
    return m(x["input"], src_mask=masks["src_mask"], is_causal=True), None


module_case("encoder_layer_pre_gelu_eval", 22,
            "torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.1, activation='gelu', norm_first=True)",
            False, {"input": (5, 2, 8)}, encoder_causal, {"src_mask": causal_additive})


def stack(m, x, masks):
    """output = encoder(input, src_key_padding_mask=src_key_padding_mask.bool())"""
    return m(x["input"], src_key_padding_mask=masks["src_key_padding_mask"]), None


module_case("encoder_stack_eval", 23,
            "torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, activation='gelu', "
            "batch_first=True), 2, norm=torch.nn.LayerNorm(8), enable_nested_tensor=False)",
            False, {"input": (2, 5, 8)}, stack, {"src_key_padding_mask": padding})

# The sinusoidal table of PyTorch's transformer tutorial (`PositionalEncoding`), 50 × 16.
position = torch.arange(50).unsqueeze(1)
div_term = torch.exp(torch.arange(0, 16, 2) * (-torch.log(torch.tensor(10000.0)) / 16))
pe = torch.zeros(50, 16)
pe[:, 0::2] = torch.sin(position * div_term)
pe[:, 1::2] = torch.cos(position * div_term)
save("positional_sinusoidal", "pe[:, 0::2] = sin(position * div_term); pe[:, 1::2] = cos(position * div_term)", 0,
     {"pe": pe}, "the table of PyTorch's transformer tutorial, max_len 50, d_model 16")

meta = {"torch_version": torch.__version__, "dtype": "float32", "num_threads": 1,
        "conventions": "boolean masks stored as 1.0 (True) / 0.0; grads are of sum(output * grad_output)",
        "cases": index}
with open(os.path.join(here, "index.json.tmp"), "w") as f:
    json.dump(meta, f, indent=1)
os.replace(os.path.join(here, "index.json.tmp"), os.path.join(here, "index.json"))
