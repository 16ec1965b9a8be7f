"""Writes the L-BFGS reference cases (lbfgs_*.safetensors) from torch.optim.LBFGS.

Run from this folder with PyTorch and safetensors installed:  python make_lbfgs.py
Each file holds `p_init`, then for each call K = 1..3 of `step`: the loss it returned
(`loss_stepK`) and the parameters after it (`p_stepK`). float64 is used on PyTorch's side
so that the reference is not limited by float32 rounding.
"""

import torch
from safetensors.torch import save_file

torch.set_default_dtype(torch.float64)


def objective_quartic(p):
    # A convex quadratic with a small quartic term: curvatures 1..9, targets 0..4.
    c = torch.tensor([1.0, 3.0, 5.0, 7.0, 9.0])
    t = torch.tensor([0.0, 1.0, 2.0, 3.0, 4.0])
    return (c * (p - t) ** 2).sum() + 0.1 * (p**4).sum()


def objective_rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def run(name, p_init, objective, **options):
    p = torch.tensor(p_init, requires_grad=True)
    lbfgs = torch.optim.LBFGS([p], **options)

    def closure():
        lbfgs.zero_grad()
        loss = objective(p)
        loss.backward()
        return loss

    tensors = {"p_init": torch.tensor(p_init, dtype=torch.float32)}
    for k in range(1, 4):
        loss = lbfgs.step(closure)
        tensors[f"loss_step{k}"] = torch.tensor(float(loss), dtype=torch.float32)
        tensors[f"p_step{k}"] = p.detach().to(torch.float32).clone()
    metadata = {key: str(value) for key, value in options.items()}
    save_file(tensors, f"{name}.safetensors", metadata=metadata)
    print(name, {k: v.tolist() for k, v in tensors.items()})


run("lbfgs_quartic_fixed", [0.0, 0.0, 0.0, 0.0, 0.0], objective_quartic, lr=0.2, max_iter=4, history_size=3)
run("lbfgs_rosenbrock_wolfe", [-1.5, 2.0], objective_rosenbrock, max_iter=5, line_search_fn="strong_wolfe")
