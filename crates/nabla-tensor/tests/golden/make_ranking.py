"""Makes the ranking and one-hot reference cases (rank_*.safetensors) with PyTorch.

Run from a virtual environment with torch and safetensors installed (as benches/pytorch/):
    python crates/nabla-tensor/tests/golden/make_ranking.py
Indices are stored as float32, as in the other cases; gradients are those of
output.backward(grad_output).
"""
import os

import torch
from safetensors.torch import save_file

torch.manual_seed(20)
torch.set_num_threads(1)
here = os.path.dirname(os.path.abspath(__file__))


def save(name, tensors):
    save_file({k: v.detach().float().contiguous() for k, v in tensors.items()}, os.path.join(here, name + ".safetensors"))


# torch.topk(input, 3, dim=1, largest=True, sorted=True): values (differentiable) and indices.
x = torch.randn(4, 7, requires_grad=True)
values, indices = torch.topk(x, 3, dim=1, largest=True, sorted=True)
g = torch.randn_like(values)
values.backward(g)
save("rank_topk_largest", {"input": x, "output": values, "indices": indices, "grad_output": g, "grad_input": x.grad})

# torch.topk(input, 2, dim=0, largest=False, sorted=True)
x = torch.randn(5, 3, requires_grad=True)
values, indices = torch.topk(x, 2, dim=0, largest=False, sorted=True)
g = torch.randn_like(values)
values.backward(g)
save("rank_topk_smallest", {"input": x, "output": values, "indices": indices, "grad_output": g, "grad_input": x.grad})

# torch.argmax(input, dim=1) and torch.argmin(input, dim=0, keepdim=True) on a [3, 4, 5] input.
x = torch.randn(3, 4, 5)
save("rank_argmax_argmin", {"input": x, "argmax_dim1": torch.argmax(x, dim=1), "argmin_dim0_keepdim": torch.argmin(x, dim=0, keepdim=True)})

# F.one_hot(index, num_classes=6) on a [2, 3] index.
index = torch.tensor([[0, 5, 2], [3, 3, 1]])
save("rank_one_hot", {"index": index, "output": torch.nn.functional.one_hot(index, num_classes=6)})
