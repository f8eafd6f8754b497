#!/usr/bin/python3
"""PyTorch's own initializers on the seed's AlexNet: the statistics the Java inits are held to.

For every conv and linear parameter of the seed's AlexNet(10, num_layers=1) this records, in
PyTorch's layout and with torch.manual_seed(0):

    pytorch-default  the module as constructed (nn.Conv2d / nn.Linear reset_parameters):
                     std and max |w| of the weight, max |b| of the bias
    kaiming          kaiming_normal_(w, mode='fan_in', nonlinearity='relu'): std
    orthogonal       orthogonal_(w, gain=sqrt(2)): std, and max |W W^T - 2 I| (or W^T W for a
                     tall [out, fan_in] matrix)

It writes OUT/inits.json (a few KB, committed as src/test/resources/torch/inits.json).

usage: init_fixtures.py --out DIR [--reference DIR]
"""
import argparse
import json
import math
import os
import sys

import torch


def stats(t):
    return dict(std=float(t.double().pow(2).mean().sqrt()), max=float(t.abs().max()))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    project = os.path.normpath(os.path.join(here, '..', '..', '..'))
    shared = os.path.join(os.path.dirname(project), 'shared')
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', required=True, help='folder to write (created)')
    p.add_argument('--reference', default=os.path.join(shared, 'reference'),
                   help="the seed's PyTorch scripts (default: %(default)s)")
    args = p.parse_args()
    sys.path.insert(0, args.reference)
    try:
        from seedmodel import AlexNet
    except ImportError as e:
        sys.exit('init_fixtures.py: cannot import the seed model from %s: %s'
                 % (args.reference, e))
    torch.manual_seed(0)
    net = AlexNet(10, num_layers=1)
    params = dict(net.named_parameters())
    out = []
    for name, w in params.items():
        if not name.endswith('.weight'):
            continue
        entry = dict(name=name, shape=list(w.shape))
        default = stats(w.detach())
        bias = params.get(name[:-len('weight')] + 'bias')
        if bias is not None:
            default['bias_max'] = float(bias.detach().abs().max())
        entry['pytorch-default'] = default
        k = torch.empty_like(w)
        torch.nn.init.kaiming_normal_(k, mode='fan_in', nonlinearity='relu')
        entry['kaiming'] = dict(std=stats(k)['std'])
        o = torch.empty_like(w)
        torch.nn.init.orthogonal_(o, gain=math.sqrt(2))
        m = o.reshape(o.shape[0], -1).double()
        g = m @ m.t() if m.shape[0] <= m.shape[1] else m.t() @ m
        entry['orthogonal'] = dict(std=stats(o)['std'],
                                   gram_error=float((g - 2 * torch.eye(g.shape[0],
                                                     dtype=torch.float64)).abs().max()))
        out.append(entry)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, 'inits.json'), 'w') as f:
        json.dump(dict(torch=torch.__version__, model='AlexNet(10, num_layers=1)', seed=0,
                       params=out), f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
