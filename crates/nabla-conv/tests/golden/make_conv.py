"""Makes the convolution cases the shared reference set lacks, with PyTorch.

Run from a virtual environment with torch and safetensors installed (as benches/pytorch/):
    python crates/nabla-conv/tests/golden/make_conv.py
The other cases of this folder are replayed from their stored inputs by
scripts/golden/replay.py, with the calls in index.json.

Each file holds the layer's parameters under PyTorch's state-dict names (PyTorch's default
initialisation), `input`, `output`, a random `grad_output`, and the gradients of
output.backward(grad_output): `grad_input`, `grad_weight` and, with a bias, `grad_bias`.
"""
import os

import torch
from safetensors.torch import save_file

torch.set_num_threads(1)
here = os.path.dirname(os.path.abspath(__file__))


def case(name, seed, make_layer, input_shape):
    torch.manual_seed(seed)
    layer = make_layer()
    state = {k: v.detach().clone() for k, v in layer.state_dict().items()}
    x = torch.randn(*input_shape, requires_grad=True)
    out = layer(x)
    g = torch.randn_like(out)
    out.backward(g)
    tensors = dict(state, input=x.detach(), output=out.detach(), grad_output=g, grad_input=x.grad)
    tensors.update({f"grad_{k}": p.grad for k, p in layer.named_parameters()})
    path = os.path.join(here, name + ".safetensors")
    save_file({k: v.float().contiguous() for k, v in tensors.items()}, path + ".tmp")
    os.replace(path + ".tmp", path)
    print(name, tuple(x.shape), "->", tuple(out.shape))


# Without a bias: no `bias` or `grad_bias` in the file.
case("conv2d_g_nobias", 31, lambda: torch.nn.Conv2d(3, 4, 3, stride=2, padding=1, bias=False), (2, 3, 7, 6))
case("conv_transpose2d_f_nobias", 32,
     lambda: torch.nn.ConvTranspose2d(4, 3, 4, stride=2, padding=1, bias=False), (2, 4, 5, 6))
# One large image, 36 × 40 in and 72 × 82 out, with groups, stride, padding, output padding
# and dilation: the size at which nabla's Conv2d works in blocks of rows (its transpose folds
# the whole image at once).
case("conv_transpose2d_g_large", 33,
     lambda: torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, dilation=(1, 2)),
     (1, 4, 36, 40))
