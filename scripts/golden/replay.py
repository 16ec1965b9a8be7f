"""Recomputes a golden folder's PyTorch reference values from the inputs its files store.

Each crate's `tests/golden/index.json` records, for every case of the shared reference set,
the exact PyTorch call (`torch.gather(input, 1, index)`, `torch.nn.LSTM(...); output, (h_n, c_n)
= lstm(input)`, `torch.optim.Adam(params=[w, b], ...)`), the tensors and what they mean. This
script loads each case's inputs, parameters and upstream gradient from its `.safetensors` file,
runs that call in PyTorch, and compares what PyTorch gives now (outputs, gradients, buffers
after the call, optimizer steps and state) with what the file holds:

    python scripts/golden/replay.py crates/nabla-conv/tests/golden            # check
    python scripts/golden/replay.py crates/nabla-conv/tests/golden --write    # rewrite outputs

Run it from a virtual environment with torch and safetensors (as benches/pytorch/). With
`--write` it rewrites the computed tensors of every case, keeping the inputs (each file is
written to a temporary name and renamed). To add a case, add its entry to the folder's
index.json and its inputs to a new file (or write a `make_*.py` beside it, as nabla-conv's
`make_conv.py` does), then run with `--write`.

Files a folder's `make_*.py` writes from scratch (L-BFGS, embedding, ranking, the extra
convolution cases) are not in its index.json and are skipped here.
"""
import argparse
import json
import math
import os
import sys

import torch
from safetensors.torch import load_file, save_file

torch.set_num_threads(1)

# Tensors that hold integer indices (stored as float32) and must be int64 for PyTorch.
INDEX_TENSORS = {"index"}


def custom(case, t):
    """The cases that are not one PyTorch call: their formulas, as index.json states them."""
    name = case["case"]
    if name == "gram_matrix":
        _, c, h, w = t["input"].shape
        f = t["input"].view(c, h * w)
        return {"output": f @ f.t() / (c * h * w)}
    if name == "gram_matrix_batched":
        b, c, h, w = t["input"].shape
        f = t["input"].view(b, c, h * w)
        return {"output": torch.bmm(f, f.transpose(1, 2)) / (c * h * w)}
    if name in ("kl_plain", "js_plain"):
        p, q = t["p"].double(), t["q"].double()

        def kl(a, b):
            mask = a > 0
            a_safe, b_safe = torch.where(mask, a, torch.ones_like(a)), torch.where(mask, b, torch.ones_like(b))
            return torch.where(mask, a * (torch.log(a_safe) - torch.log(b_safe)), torch.zeros_like(a)).sum(-1)

        if name == "kl_plain":
            return {"output": kl(p, q)}
        m = (p + q) / 2
        return {"output": 0.5 * kl(p, m) + 0.5 * kl(q, m)}
    raise SystemExit(f"{name}: no formula for this custom case")


def differentiable(case, stored):
    """The stored tensors the case differentiates: those with a `grad_<name>` beside them."""
    return [n for n in stored if f"grad_{n}" in stored]


def run_function(case, stored):
    env = {"torch": torch}
    leaves = {}
    for name, value in stored.items():
        if name == "output" or name.startswith("grad_") or name.startswith("output_"):
            continue
        if name in INDEX_TENSORS:
            env[name] = value.long()
            continue
        leaf = value.double() if case["case"] in ("kl_plain", "js_plain") else value.clone()
        leaf.requires_grad_(f"grad_{name}" in stored)
        env[name] = leaves[name] = leaf
    if case["target"].startswith("custom"):
        outputs = custom(case, env)
    else:
        outputs = {"output": eval(case["call"], env)}
    return outputs, leaves, None


def run_module(case, stored):
    """A layer or recurrent module: `Module(...)[.eval()]` and, after `;`, how it is called."""
    construct, _, call = case["call"].partition(";")
    module = eval(construct, {"torch": torch})
    load_state(module, stored)
    env = {"torch": torch}
    leaves = {}
    for name in ("input", "hx", "cx", "h_0", "c_0"):
        if name in stored:
            leaf = stored[name].clone().requires_grad_(f"grad_{name}" in stored)
            env[name] = leaves[name] = leaf
    call = call.strip()
    if call:
        callee = call.split("=", 1)[1].strip().split("(", 1)[0]
        env[callee] = module
        exec(call, env)
    else:
        env["output"] = module(env["input"])
    outputs = {}
    for name in ("output", "output_c", "h_n", "c_n"):
        if name in env:
            outputs[name] = env[name]
    leaves.update({f"{n}": p for n, p in module.named_parameters()})
    return outputs, leaves, module


def run_composite(case, stored):
    construct, _, call = case["call"].partition(";")
    module = eval(construct, {"torch": torch})
    load_state(module, stored)
    env = {"torch": torch, "input": stored["input"]}
    env[call.split("=", 1)[1].strip().split("(", 1)[0]] = module
    with torch.no_grad():
        exec(call.strip(), env)
    return {"output": env["output"]}, {}, None


def load_state(module, stored):
    state = {}
    for name, value in module.state_dict().items():
        state[name] = stored[name].to(value.dtype)
    module.load_state_dict(state)


def replay_optimizer(case, stored):
    """Replays the stored gradients through the optimizer; returns every step and the state."""
    w = stored["w_init"].clone().requires_grad_(True)
    b = stored["b_init"].clone().requires_grad_(True)
    optimizer = eval(case["call"], {"torch": torch, "w": w, "b": b})
    computed = {}
    step = 1
    while f"w_step{step}" in stored:
        w.grad, b.grad = stored[f"grad_w_step{step}"].clone(), stored[f"grad_b_step{step}"].clone()
        optimizer.step()
        computed[f"w_step{step}"], computed[f"b_step{step}"] = w.detach().clone(), b.detach().clone()
        step += 1
    for prefix, param in (("w", w), ("b", b)):
        for key, value in optimizer.state[param].items():
            if torch.is_tensor(value) and value.dim() > 0:
                computed[f"{prefix}_{key}_after"] = value.clone()
    return computed


def compute(case, stored):
    """Every tensor of the case that PyTorch computes, by its name in the file."""
    kind = case["kind"]
    if kind == "optimizer":
        return replay_optimizer(case, stored)
    runner = {"function": run_function, "module": run_module, "composite": run_composite}[kind]
    outputs, leaves, module = runner(case, stored)
    computed = {name: value.detach() for name, value in outputs.items()}
    if kind == "composite":
        return computed
    loss = sum((outputs[name] * stored[f"grad_{name}"].to(outputs[name].dtype)).sum()
               for name in outputs if f"grad_{name}" in stored)
    loss.backward()
    for name, leaf in leaves.items():
        if f"grad_{name}" in stored:
            computed[f"grad_{name}"] = leaf.grad
    if module is not None:
        parameters = {n for n, _ in module.named_parameters()}
        for name, value in module.state_dict().items():
            if name not in parameters and f"{name}_after" in stored:
                computed[f"{name}_after"] = value.clone()
    return computed


def max_error(got, want):
    """The largest |got − want| − (1e-5·|want| + 1e-6) over the elements, and that error."""
    got, want = got.double(), want.double()
    error = (got - want).abs()
    excess = error - (1e-5 * want.abs() + 1e-6)
    return excess.max().item() if excess.numel() else -math.inf, error.max().item() if error.numel() else 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--write", action="store_true", help="rewrite the computed tensors")
    args = parser.parse_args()
    with open(os.path.join(args.folder, "index.json")) as f:
        index = json.load(f)
    failures = 0
    for case in index["cases"]:
        path = os.path.join(args.folder, case["file"])
        if case["kind"] == "state_dict":
            print(f"{case['case']}: a raw export, nothing to compute")
            continue
        stored = load_file(path)
        computed = compute(case, stored)
        missing = [name for name in computed if name not in stored]
        worst = {name: max_error(value, stored[name]) for name, value in computed.items() if name in stored}
        bad = [name for name, (excess, _) in worst.items() if excess > 0]
        largest = max((e for _, e in worst.values()), default=0.0)
        status = "ok" if not bad and not missing else f"DIFFERS in {bad} missing {missing}"
        print(f"{case['case']}: {len(worst)} tensors, largest difference {largest:.2e}: {status}")
        failures += bool(bad or missing)
        if args.write:
            merged = dict(stored)
            merged.update({name: value.float().contiguous() for name, value in computed.items()})
            temporary = path + ".tmp"
            save_file(merged, temporary)
            os.replace(temporary, path)
    if failures and not args.write:
        sys.exit(f"{failures} cases differ from what PyTorch computes now")


if __name__ == "__main__":
    main()
