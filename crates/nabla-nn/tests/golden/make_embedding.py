"""Makes the embedding reference cases (embedding_*.safetensors) with PyTorch.

Run from a virtual environment with torch and safetensors installed (as benches/pytorch/):
    python crates/nabla-nn/tests/golden/make_embedding.py
Each file holds the table `weight` before the call (PyTorch's state-dict key), the indices
`input` (as float32), the `output`, a random `grad_output` and `grad_weight`, the gradient of
output.backward(grad_output).
"""
import os

import torch
from safetensors.torch import save_file

torch.manual_seed(21)
torch.set_num_threads(1)
here = os.path.dirname(os.path.abspath(__file__))


def case(name, embedding, index):
    weight = embedding.weight.detach().clone()
    out = embedding(index)
    g = torch.randn_like(out)
    out.backward(g)
    tensors = {"weight": weight, "input": index.float(), "output": out.detach(), "grad_output": g, "grad_weight": embedding.weight.grad}
    save_file({k: v.float().contiguous() for k, v in tensors.items()}, os.path.join(here, name + ".safetensors"))


# nn.Embedding(10, 4, padding_idx=1): the padding row is zero and takes no gradient;
# repeated indices accumulate.
index = torch.tensor([[1, 2, 4, 5], [4, 3, 2, 9], [1, 1, 0, 2]])
case("embedding_padding", torch.nn.Embedding(10, 4, padding_idx=1), index)

# nn.Embedding.from_pretrained(weight, freeze=False) on a [2, 2, 3] index.
pretrained = torch.randn(6, 5)
index = torch.tensor([[[0, 5, 5], [2, 3, 0]], [[1, 1, 4], [5, 2, 3]]])
case("embedding_pretrained", torch.nn.Embedding.from_pretrained(pretrained, freeze=False), index)
