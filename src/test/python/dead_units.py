#!/usr/bin/python3
"""Why the SVD init is undefined on a torchvision model without batch norm statistics.

Applies the paper's rule (as torchvision_fixtures.svd_init, in float64) to a model of
torchvision_fixtures in EVAL mode, which is what its eval-mode export computes (the batch norms
folded into the convolutions as fixed scales and shifts), and prints, at each rewritten
convolution, how many of its input channels are zero on the whole batch and the kept singular
values of its patch matrix. A last kept singular value near zero (relative to the first) means
the rule's S^-1/2 is not defined there.

    /usr/bin/python3 src/test/python/dead_units.py --model resnet18 --batch 1024
"""
import argparse

import torch

import torchvision_fixtures as fixtures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet18", choices=sorted(fixtures.models()))
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=5, help="seed of the uniform images")
    args = parser.parse_args()
    # the eval-mode export's weights and statistics: main()'s seeds for this model
    index = list(fixtures.models()).index(args.model)
    torch.manual_seed(index)
    generator = torch.Generator().manual_seed(100 + index)
    model = fixtures.models()[args.model]()
    with torch.no_grad():
        fixtures.randomize_running_statistics(model, generator)
    model.eval()
    images = torch.rand(args.batch, 3, 32, 32, generator=torch.Generator().manual_seed(args.seed))
    modules = dict(model.named_modules())
    square = {name for name, m in modules.items() if isinstance(m, torch.nn.Conv2d)
              and m.in_channels == m.out_channels and m.groups == 1}
    order = []
    hooks = [modules[name].register_forward_pre_hook(
        lambda mod, inp, name=name: order.append(name) if name not in order else None)
        for name in square]
    with torch.no_grad():
        model(images)
    for h in hooks:
        h.remove()
    print("layer, input channels zero on the whole batch, s_1, s_wd, s_wd / s_1")
    for name in order:
        conv = modules[name]
        seen = {}
        hook = conv.register_forward_pre_hook(lambda mod, inp: seen.setdefault("x", inp[0]))
        with torch.no_grad():
            model(images)
        hook.remove()
        x = seen["x"].double()
        dead = int(((x != 0).sum(dim=(0, 2, 3)) == 0).sum())
        p = torch.nn.functional.unfold(x, conv.kernel_size, dilation=conv.dilation,
                                       padding=conv.padding, stride=conv.stride)
        patches = p.transpose(1, 2).reshape(-1, p.shape[1])
        u, s, vh = torch.linalg.svd(patches, full_matrices=False)
        wd = conv.out_channels
        print(f"{name}: {dead}/{x.shape[1]}, {s[0]:.3g}, {s[wd - 1]:.3g}, "
              f"{s[wd - 1] / s[0]:.2e}", flush=True)
        w = (u[:wd, :wd] @ torch.diag(s[:wd] ** -0.5) @ vh[:wd, :]).reshape(conv.weight.shape)
        bias = None if conv.bias is None else conv.bias.double()
        y = torch.nn.functional.conv2d(x, w, bias, conv.stride, conv.padding, conv.dilation)
        with torch.no_grad():
            conv.weight.copy_((w / y.norm()).float())


if __name__ == "__main__":
    main()
