#!/usr/bin/python3
"""Gradient parity fixtures: the seed's AlexNet in PyTorch, one training step's float64 gradients.

For every case (depth, level, batch norm, init, seed) this writes the model's weights before the
step, one batch of CIFAR-10 training images with their labels, the float64 gradient of the mean
cross-entropy with respect to every parameter (dropout off, batch norm on batch statistics, as in
training) and batch norm's running statistics after that forward pass.

The model and initializers are the seed's own, imported from the reference scripts beside the
seed notebook (seedmodel.py: AlexNet and weights_init; seedinit.py: novel_initialization).

Layout of OUT (every array a .npy file, PyTorch's layouts: conv OIHW, linear [out, in]):

    cases.json                      the list of cases, with the settings they were made with
    batch_s<seed>/images.npy        [30, 3, 32, 32] float32 in [0, 1]; labels.npy int64
    classifier_s<seed>/<name>.npy   the classifier's weights, shared by every case of a seed
    <case>/case.json                settings, loss (float64), the parameters in order
    <case>/weights/<name>.npy       features parameters and running statistics before the step
    <case>/grad/<name>.npy          float64 gradient of every features parameter, rounded to float32
    <case>/grad/<linear>.input.npy  the classifier's gradients as factors (see below), float64
    <case>/running/<name>.npy       running_mean / running_var after the step's forward pass
    <case>/relu/<name>.npy          bool, per ReLU module: its float64 input > 0 (NCHW, or
                                    [30, units]): which units pass a gradient
    <case>/pool/<name>.npy          uint8, per MaxPool2d: where each 2x2 window of its float64
                                    input has the maximum that receives the gradient, 2 dh + dw

A ReLU's derivative jumps at 0, so a unit whose float64 input lies within float32 rounding of 0
(such units exist in most cases: some 10 of a batch's 2.5 million at 15 extra layers are within
1e-6 of their layer's largest input) may pass its gradient in float64 and not in float32, or the
other way round, and that moves a layer's whole gradient by up to tens of per cent. PyTorch's
own float32 step does this at some of these weights (case.json records its worst error against
float64); the signs let a float32 implementation see where it decided otherwise. Max pooling is
the same: two values of a window that differ by less than float32 resolution (or not at all)
send the window's gradient to one position or the other.

A linear layer's weight gradient is a sum over the batch of outer products, dW = dY^T X (X the
layer's input [30, in], dY the gradient at its output [30, out]); the classifier's three weight
gradients (4096 x 1024, 4096 x 4096, 10 x 4096 per case) are stored as those two factors, in
float64, and the script checks before writing that dY^T X equals PyTorch's own .grad to 1e-12.
Their bias gradients are stored as they are.

The classifier's weights are the same for every case of a seed (xavier_uniform_ as weights_init,
drawn after torch.manual_seed(CLASSIFIER_SEED + seed)), so they are written once per seed; the
features are the seed's: torch.manual_seed(seed), AlexNet(10, layers, level, withbn),
apply(weights_init), then for the SVD cases novel_initialization on INIT_IMAGES training images
drawn with the same seed. Every case of a seed sees the same batch: training images
[30 * seed, 30 * seed + 30).

usage: gradient_fixtures.py --out DIR [--data CIFAR_DIR] [--reference DIR] [--threads N]
                            [--only CASE_PREFIX]
"""

import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

# the layout below; GradientParityTest refuses fixtures of another format
FORMAT = 1
BATCH = 30
# the seed draws 256; 32 give the same kind of weights (16 patch rows per image at 4x4, so 512
# rows >= the 256 components kept) in a tenth of the time: 54 cases must fit into CI
INIT_IMAGES = 32
CLASSIFIER_SEED = 1000
SEEDS = (0, 1, 2)
DEPTHS = (0, 2, 15)
# the factor identity dY^T X = .grad must hold to float64 rounding
FACTOR_TOLERANCE = 1e-12


def cases():
    """Every distinct case: at 0 extra layers level and batch norm change nothing."""
    out = []
    for layers in DEPTHS:
        for level in ((3,) if layers == 0 else (3, 2)):
            for bn in ((False,) if layers == 0 else (False, True)):
                for init in ('xavier', 'svd'):
                    for seed in SEEDS:
                        out.append(dict(layers=layers, level=level, batch_norm=bn, init=init,
                                        seed=seed))
    return out


def case_name(c):
    return 'L%d_level%d%s_%s_s%d' % (c['layers'], c['level'], '_bn' if c['batch_norm'] else '',
                                     c['init'], c['seed'])


def float32_error(net, x_path):
    """PyTorch's float32 gradient against its float64 one on the same weights and batch: the
    worst parameter's max |float32 - float64| / max |float64|. Leaves net as it was."""
    import copy
    x = torch.from_numpy(np.load(os.path.join(x_path, 'images.npy')))
    y = torch.from_numpy(np.load(os.path.join(x_path, 'labels.npy')))
    grads = []
    for dtype in (torch.float32, torch.float64):
        m = copy.deepcopy(net).to(dtype)
        m.train()
        for module in m.modules():
            if isinstance(module, nn.Dropout):
                module.p = 0.0
        nn.CrossEntropyLoss()(m(x.to(dtype)), y).backward()
        grads.append({k: v.grad.double() for k, v in m.named_parameters()})
    worst = max((float((grads[0][k] - g).abs().max() / g.abs().max()), k)
                for k, g in grads[1].items())
    return dict(parameter=worst[1], error=worst[0])


def argmax_offsets(x):
    """Where each 2x2 window of x [N, C, H, W] has its maximum, as PyTorch's max_pool2d routes
    the gradient: 2 * dh + dw, uint8 [N, C, H/2, W/2]."""
    _, idx = nn.functional.max_pool2d(x, 2, return_indices=True)
    w = x.shape[3]
    oh = torch.arange(idx.shape[2]).view(1, 1, -1, 1)
    ow = torch.arange(idx.shape[3]).view(1, 1, 1, -1)
    off = (idx // w - 2 * oh) * 2 + (idx % w - 2 * ow)
    assert int(off.min()) >= 0 and int(off.max()) <= 3
    return off.numpy().astype(np.uint8)


def save(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        np.save(f, array)
    os.replace(tmp, path)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    project = os.path.normpath(os.path.join(here, '..', '..', '..'))
    shared = os.path.join(os.path.dirname(project), 'shared')
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', required=True, help='folder to write (created)')
    p.add_argument('--data', default=os.path.join(shared, 'data', 'cifar10'),
                   help='CIFAR-10 binary folder (default: %(default)s)')
    p.add_argument('--reference', default=os.path.join(shared, 'reference'),
                   help="the seed's PyTorch scripts (default: %(default)s)")
    p.add_argument('--threads', type=int, default=2, help='torch threads (default: 2)')
    p.add_argument('--only', default='', help='make only the cases whose name starts with this')
    args = p.parse_args()

    sys.path.insert(0, args.reference)
    try:
        from seedmodel import AlexNet, weights_init
        from seedinit import novel_initialization
        from cifar import load
    except ImportError as e:
        sys.exit('gradient_fixtures.py: cannot import the seed reference scripts from %s: %s'
                 % (args.reference, e))
    torch.set_num_threads(args.threads)
    started = time.time()
    train = load(args.data, split='train')
    images_all, labels_all = train.tensors
    os.makedirs(args.out, exist_ok=True)

    todo = [c for c in cases() if case_name(c).startswith(args.only)]
    for seed in sorted({c['seed'] for c in todo}):
        x = images_all[BATCH * seed:BATCH * (seed + 1)]
        y = labels_all[BATCH * seed:BATCH * (seed + 1)]
        save(os.path.join(args.out, 'batch_s%d' % seed, 'images.npy'), x.numpy())
        save(os.path.join(args.out, 'batch_s%d' % seed, 'labels.npy'), y.numpy())
        torch.manual_seed(CLASSIFIER_SEED + seed)
        head = AlexNet(10, num_layers=0).classifier.apply(weights_init)
        for name, t in head.state_dict().items():
            save(os.path.join(args.out, 'classifier_s%d' % seed, 'classifier.' + name + '.npy'),
                 t.numpy())

    index = []
    for n, c in enumerate(todo):
        t0 = time.time()
        name = case_name(c)
        seed = c['seed']
        torch.manual_seed(seed)
        net = AlexNet(10, num_layers=c['layers'], level=c['level'], withbn=c['batch_norm'])
        net.apply(weights_init)
        head = {k: torch.from_numpy(np.load(os.path.join(args.out, 'classifier_s%d' % seed,
                                                         'classifier.' + k + '.npy')))
                for k in net.classifier.state_dict()}
        net.classifier.load_state_dict(head)
        gram = None
        if c['init'] == 'svd':
            g = torch.Generator().manual_seed(seed)
            pick = torch.randperm(len(images_all), generator=g)[:INIT_IMAGES]
            with torch.no_grad():
                gram = novel_initialization(net, images_all[pick])
        # the state the step starts from, float32 as orthoinit holds it
        state = {k: v.clone() for k, v in net.state_dict().items()}
        case_dir = os.path.join(args.out, name)
        params = []
        for k, v in state.items():
            if k.endswith('num_batches_tracked') or k.startswith('classifier.'):
                continue
            save(os.path.join(case_dir, 'weights', k + '.npy'), v.numpy())
        for k, v in net.named_parameters():
            params.append(dict(name=k, shape=list(v.shape)))

        # one training-mode forward and backward in float64, dropout off
        # PyTorch's own float32 step on the same weights, as a measure of float32 itself
        torch32 = float32_error(net, x_path=os.path.join(args.out, 'batch_s%d' % seed))

        net = net.double()
        net.train()
        for m in net.modules():
            if isinstance(m, nn.Dropout):
                m.p = 0.0
            if isinstance(m, nn.ReLU):
                m.inplace = False  # keeps each linear layer's output for its gradient
        linears = {}

        def keep(module_name):
            def hook(module, inputs, output):
                output.retain_grad()
                linears[module_name] = (inputs[0].detach().clone(), output)
            return hook
        for i, m in enumerate(net.classifier):
            if isinstance(m, nn.Linear):
                m.register_forward_hook(keep('classifier.%d' % i))
        relu_inputs = {}
        pool_inputs = {}
        for module_name, m in net.named_modules():
            if isinstance(m, nn.ReLU):
                m.register_forward_hook(
                    lambda module, inputs, output, module_name=module_name:
                    relu_inputs.__setitem__(module_name, inputs[0].detach() > 0))
            if isinstance(m, nn.MaxPool2d):
                m.register_forward_hook(
                    lambda module, inputs, output, module_name=module_name:
                    pool_inputs.__setitem__(module_name, argmax_offsets(inputs[0].detach())))
        xb = torch.from_numpy(
            np.load(os.path.join(args.out, 'batch_s%d' % seed, 'images.npy'))).double()
        yb = torch.from_numpy(np.load(os.path.join(args.out, 'batch_s%d' % seed, 'labels.npy')))
        net.zero_grad()
        logits = net(xb)
        loss = nn.CrossEntropyLoss()(logits, yb)
        loss.backward()
        for k, v in net.named_parameters():
            if k.startswith('classifier.') and k.endswith('.weight'):
                layer = k[:-len('.weight')]
                inp, out = linears[layer]
                rebuilt = out.grad.t().mm(inp)
                err = float((rebuilt - v.grad).abs().max() / v.grad.abs().max())
                if not err < FACTOR_TOLERANCE:
                    sys.exit('%s %s: dY^T X differs from .grad by %.3g' % (name, k, err))
                save(os.path.join(case_dir, 'grad', layer + '.input.npy'), inp.numpy())
                save(os.path.join(case_dir, 'grad', layer + '.output_grad.npy'),
                     out.grad.detach().numpy())
            else:
                save(os.path.join(case_dir, 'grad', k + '.npy'),
                     v.grad.detach().numpy().astype(np.float32))
        for k, v in relu_inputs.items():
            save(os.path.join(case_dir, 'relu', k + '.npy'), v.numpy())
        for k, v in pool_inputs.items():
            save(os.path.join(case_dir, 'pool', k + '.npy'), v)
        running = []
        for k, v in net.state_dict().items():
            if k.endswith('running_mean') or k.endswith('running_var'):
                save(os.path.join(case_dir, 'running', k + '.npy'),
                     v.detach().numpy().astype(np.float32))
                running.append(k)
        record = dict(c, name=name, batch=BATCH, batch_first_image=BATCH * seed,
                      classifier='classifier_s%d' % seed, batch_dir='batch_s%d' % seed,
                      loss=float(loss), parameters=params, running=running,
                      relus=list(relu_inputs), pools=list(pool_inputs), torch_float32=torch32,
                      init_images=INIT_IMAGES if c['init'] == 'svd' else 0,
                      gram_ratio=None if gram is None else dict(before=gram[0], after=gram[1]),
                      torch=torch.__version__)
        with open(os.path.join(case_dir, 'case.json'), 'w') as f:
            json.dump(record, f, indent=1)
        index.append(name)
        print('[%d/%d] %s: loss %.6f, %.1f s' % (n + 1, len(todo), name, float(loss),
                                                time.time() - t0), flush=True)

    digest = hashlib.sha256(open(os.path.join(args.reference, 'seedmodel.py'), 'rb').read())
    with open(os.path.join(args.out, 'cases.json'), 'w') as f:
        json.dump(dict(format=FORMAT, cases=index, torch=torch.__version__, numpy=np.__version__,
                       seedmodel_sha256=digest.hexdigest(), batch=BATCH, init_images=INIT_IMAGES,
                       classifier_seed=CLASSIFIER_SEED, threads=args.threads), f, indent=1)
    print('%d cases in %s (%.0f s)' % (len(index), args.out, time.time() - started))


if __name__ == '__main__':
    main()
