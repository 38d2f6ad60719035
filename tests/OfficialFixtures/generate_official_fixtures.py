#!/usr/bin/python3
"""Golden fixtures from the papers' official code (see README.md next to this file).

For every published checkpoint layout this script builds the UNCHANGED official model, fills every tensor of its
state dict by the deterministic rule below, and writes a small JSON file with

  * the full key list in the official state-dict order, with shapes and dtypes,
  * the container the released file uses (format, top-level wrapper, key prefix),
  * a deterministic input (described by its shape and rule, never stored) and the official eval-mode outputs.

No weights are written. The C# tests rebuild each checkpoint from the key list and the rule, write it in the official
container, import it through the library, and compare their outputs with the official ones.

Fill rule, for the tensor at position p (0-based, in the order listed) with n elements in row-major order, element i:
  integer dtypes:             every element = p
  s = sin(0.61 * (i mod 10007) + 1.7 * (p + 1))     (in float64; the value below is cast to the tensor's dtype as
                                                    torch casts: float16 through float32)
  key ends with running_var:  0.75 + 0.25 * s
  key ends with running_mean: 0.1 * s
  ndim >= 2:                  s / sqrt(fan_in), fan_in = n / shape[0]
  ndim <= 1, key ends with 'weight' (a norm's scale): 1 + 0.1 * s
  anything else (biases, scalars, tokens):           0.1 * s
Input rule, for the official input of shape S in row-major order, element i:
  x = 0.8 * sin(0.11 * (i mod 10007) + 0.3)

Usage: /usr/bin/python3 generate_official_fixtures.py --official DIR [--out DIR] [--only NAME] [--torchscript-sample FILE]
  DIR holds the official repositories in folders named owner+name (kylemin+S3D, Atze00+MoViNet-pytorch,
  mit-han-lab+temporal-shift-module, BeSpontaneous+AFNet-pytorch, OpenGVLab+efficient-video-recognition, openai+CLIP).
"""

import argparse
import importlib
import json
import math
import os
import subprocess
import sys
import tempfile
import types
from collections import OrderedDict

import torch

PERIOD = 10007
FIXTURES = ['s3d', 'movinet_stream_se', 'movinet_a0_base', 'movinet_a1_base', 'movinet_a2_base', 'movinet_a0_stream', 'movinet_a1_stream',
            'movinet_a2_stream', 'tsm_r50', 'afnet_r50', 'clip_vitb16_openai', 'clip_vitb16_hf', 'evl_vitb16']


# ----------------------------------------------------------------------------------------------------- the rule --

def rule_values(key, position, shape, dtype):
    n = 1
    for d in shape:
        n *= d
    if not dtype.is_floating_point:
        return torch.full(shape, position, dtype=dtype)
    i = torch.arange(n, dtype=torch.float64) % PERIOD
    s = torch.sin(0.61 * i + 1.7 * (position + 1))
    if key.endswith('running_var'):
        v = 0.75 + 0.25 * s
    elif key.endswith('running_mean'):
        v = 0.1 * s
    elif len(shape) >= 2:
        v = s / math.sqrt(n / shape[0])
    elif key.endswith('weight'):
        v = 1 + 0.1 * s
    else:
        v = 0.1 * s
    return v.reshape(shape).to(dtype)


def rule_input(shape):
    n = 1
    for d in shape:
        n *= d
    i = torch.arange(n, dtype=torch.float64) % PERIOD
    return (0.8 * torch.sin(0.11 * i + 0.3)).reshape(shape).float()


def fill(state_dict):
    """Rule values for an ordered state dict (name -> tensor giving shape and dtype)."""
    return OrderedDict((k, rule_values(k, p, list(v.shape), v.dtype)) for p, (k, v) in enumerate(state_dict.items()))


def key_list(state_dict):
    return [{'key': k, 'shape': list(v.shape), 'dtype': str(v.dtype).replace('torch.', '')} for k, v in state_dict.items()]


def outputs(t):
    t = t.detach().double().flatten().tolist()
    return [float('%.9g' % x) for x in t]


def write(out_dir, name, payload):
    path = os.path.join(out_dir, name + '.json')
    with open(path, 'w') as f:
        json.dump(payload, f, indent=1)
        f.write('\n')
    print('wrote', path, len(payload['keys']), 'keys')


# ------------------------------------------------------------------------- stand-ins for missing optional modules --

def install_stand_ins():
    """Debian has no einops or fvcore. Atze00's port imports einops.rearrange for four fixed patterns and fvcore's
    CfgNode as an attribute dictionary; these minimal stand-ins do exactly that and nothing else."""
    if 'einops' not in sys.modules:
        einops = types.ModuleType('einops')

        def rearrange(x, pattern, **sizes):
            if pattern == 'b c t h w -> (b t) c h w':
                b, c, t, h, w = x.shape
                return x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w)
            if pattern == '(b t) c h w -> b c t h w':
                bt, c, h, w = x.shape
                t = sizes['t']
                return x.reshape(bt // t, t, c, h, w).permute(0, 2, 1, 3, 4)
            if pattern == 'b c t h w -> b c t (h w)':
                b, c, t, h, w = x.shape
                return x.reshape(b, c, t, h * w)
            if pattern == 'b c t (h w) -> b c t h w':
                b, c, t, hw = x.shape
                w = sizes['w']
                return x.reshape(b, c, t, hw // w, w)
            raise NotImplementedError('einops stand-in: unsupported pattern ' + pattern)

        einops.rearrange = rearrange
        sys.modules['einops'] = einops
    if 'fvcore' not in sys.modules:
        class CfgNode(dict):
            def __getattr__(self, name):
                try:
                    return self[name]
                except KeyError:
                    raise AttributeError(name)

            def __setattr__(self, name, value):
                self[name] = value

        fvcore = types.ModuleType('fvcore')
        common = types.ModuleType('fvcore.common')
        config = types.ModuleType('fvcore.common.config')
        config.CfgNode = CfgNode
        fvcore.common = common
        common.config = config
        sys.modules.update({'fvcore': fvcore, 'fvcore.common': common, 'fvcore.common.config': config})


class CpuOnlyTorch:
    """torch, except that torch.zeros(..., device='cuda') allocates on the CPU."""

    def __getattr__(self, name):
        return getattr(torch, name)

    @staticmethod
    def zeros(*args, **kwargs):
        if kwargs.get('device') == 'cuda':
            kwargs['device'] = 'cpu'
        return torch.zeros(*args, **kwargs)


def use_repo(official, folder):
    path = os.path.join(official, folder)
    if not os.path.isdir(path):
        raise SystemExit(f'missing official repository folder {path}')
    sys.path.insert(0, path)
    return path


def load_and_run(model, filled, make_input):
    model.load_state_dict(filled, strict=True)
    model.eval()
    x = make_input()
    with torch.no_grad():
        return x, model(x)


# ----------------------------------------------------------------------------------------------------- families --

def gen_s3d(official, out):
    use_repo(official, 'kylemin+S3D')
    from model import S3D
    model = S3D(400)
    sd = model.state_dict()
    filled = fill(sd)
    shape = [1, 3, 16, 64, 64]
    x, y = load_and_run(model, filled, lambda: rule_input(shape))
    write(out, 's3d', {
        'family': 'S3D', 'source': 'kylemin/S3D model.py, S3D(400)',
        'container': {'format': 'legacy-pickle', 'root': 'state_dict', 'prefix': 'module.',
                      'note': 'S3D_kinetics400.pt (2019). main.py strips a leading module. from each key, so the file '
                              'is written with the DataParallel prefix here.'},
        'input': {'shape': shape, 'layout': 'N C T H W'},
        'output': {'shape': list(y.shape), 'values': outputs(y)},
        'keys': key_list(sd)})


def gen_movinet(official, out, variant, stream):
    use_repo(official, 'Atze00+MoViNet-pytorch')
    install_stand_ins()
    from movinets import MoViNet
    from movinets.config import _C
    cfg = getattr(_C.MODEL, 'MoViNet' + variant.upper())
    # What MoViNet(cfg, causal, pretrained=True) builds, without the download: tf_like, 600 classes, 3d or 2plus1d.
    model = MoViNet(cfg, causal=stream, pretrained=False, num_classes=600,
                    conv_type='2plus1d' if stream else '3d', tf_like=True)
    sd = model.state_dict()
    filled = fill(sd)
    shape = [1, 3, 4, 64, 64]
    model.load_state_dict(filled, strict=True)
    model.eval()
    x = rule_input(shape)
    with torch.no_grad():
        model.clean_activation_buffers()
        y = model(x)
        extra = {}
        if stream:
            # Frame by frame through the stream buffers: the official streaming result after the last frame.
            model.clean_activation_buffers()
            for t in range(shape[2]):
                y_stream = model(x[:, :, t:t + 1])
            extra = {'stream_output': {'shape': list(y_stream.shape), 'values': outputs(y_stream)}}
            model.clean_activation_buffers()
    name = f'movinet_{variant}_{"stream" if stream else "base"}'
    weights = getattr(cfg, 'stream_weights' if stream else 'weights')
    write(out, name, {
        'family': 'MoViNet', 'variant': variant.upper(), 'mode': 'stream' if stream else 'base',
        'source': f'Atze00/MoViNet-pytorch movinets/models.py, MoViNet(_C.MODEL.MoViNet{variant.upper()}, '
                  f'causal={stream}, num_classes=600, conv_type={"2plus1d" if stream else "3d"}, tf_like=True)',
        'container': {'format': 'zip', 'root': 'state_dict', 'prefix': '', 'download': weights.replace('?raw=true', '')},
        'input': {'shape': shape, 'layout': 'N C T H W'},
        'output': {'shape': list(y.shape), 'values': outputs(y)}, **extra,
        'keys': key_list(sd)})


def gen_movinet_stream_se(official, out):
    """One stream squeeze-excitation unit as BasicBneck builds it (hard-swish inside, the port's hard sigmoid as the gate):
    whole networks damp the gate's effect on the logits below the test tolerance, the unit's output does not."""
    use_repo(official, 'Atze00+MoViNet-pytorch')
    install_stand_ins()
    import movinets.models as mm
    channels = 184
    se = mm.SqueezeExcitation(channels, activation_2=mm.Hardsigmoid, activation_1=torch.nn.Hardswish,
                              conv_type='2plus1d', causal=True)
    sd = se.state_dict()
    filled = fill(sd)
    shape = [1, channels, 3, 4, 4]
    se.load_state_dict(filled, strict=True)
    se.eval()
    x = rule_input(shape)
    with torch.no_grad():
        y = se(x)
    write(out, 'movinet_stream_se', {
        'family': 'MoViNet', 'source': 'Atze00/MoViNet-pytorch movinets/models.py, SqueezeExcitation(184, '
                                       'activation_2=Hardsigmoid, activation_1=nn.Hardswish, conv_type=2plus1d, causal=True)',
        'container': {'format': 'zip', 'root': 'state_dict', 'prefix': ''},
        'input': {'shape': shape, 'layout': 'N C T H W'},
        'output': {'shape': list(y.shape), 'values': outputs(y)},
        'keys': key_list(sd)})


def gen_tsm(official, out):
    use_repo(official, 'mit-han-lab+temporal-shift-module')
    from ops.models import TSN
    model = TSN(400, 8, 'RGB', base_model='resnet50', consensus_type='avg', dropout=0.5, pretrain='none',
                is_shift=True, shift_div=8, shift_place='blockres', print_spec=False)
    sd = model.state_dict()
    filled = fill(sd)
    shape = [1, 8 * 3, 64, 64]
    x, y = load_and_run(model, filled, lambda: rule_input(shape))
    write(out, 'tsm_r50', {
        'family': 'TSM', 'source': "mit-han-lab/temporal-shift-module ops/models.py, TSN(400, 8, 'RGB', "
                                   "base_model='resnet50', is_shift=True, shift_div=8, shift_place='blockres')",
        'container': {'format': 'legacy-pickle', 'root': 'dict', 'entry': 'state_dict', 'prefix': 'module.',
                      'extras': {'epoch': 50, 'arch': 'resnet50', 'best_prec1': 71.2},
                      'note': 'main.py saves {epoch, arch, state_dict, optimizer, best_prec1} of the DataParallel '
                              'model; test_models.py reads checkpoint[state_dict] and drops the first key component.'},
        'input': {'shape': shape, 'layout': 'N (T C) H W'},
        'output': {'shape': list(y.shape), 'values': outputs(y)},
        'keys': key_list(sd)})


def gen_afnet(official, out):
    use_repo(official, 'BeSpontaneous+AFNet-pytorch')
    import ops.backbone.gumbel_softmax as gumbel
    # The official navigation samples Gumbel noise even in eval mode (force_hard); the only change made here is that
    # the noise source returns zeros, so the decision is the deterministic argmax that MLNetVideo uses in evaluation.
    gumbel.GumbleSoftmax.sample_gumbel_like = lambda self, template, eps=1e-10: torch.zeros_like(template)
    from ops.models import TSN
    frames = 12
    model = TSN('AF_ResNet', 174, frames, 'RGB', '', base_model='AF_resnet50', consensus_type='avg', dropout=0.5,
                pretrain='none', is_shift=True, print_spec=False)
    sd = model.state_dict()
    filled = fill(sd)
    shape = [1, frames * 3, 64, 64]
    model.load_state_dict(filled, strict=True)
    model.eval()
    x = rule_input(shape)
    with torch.no_grad():
        y, masks = model(x, 1.0)
    mask_values = [outputs(m) for m in masks]
    write(out, 'afnet_r50', {
        'family': 'AFNet', 'source': "BeSpontaneous/AFNet-pytorch ops/models.py, TSN('AF_ResNet', 174, 12, 'RGB', '', "
                                     "base_model='AF_resnet50', is_shift=True); Gumbel noise replaced by zeros",
        'container': {'format': 'zip', 'root': 'dict', 'entry': 'state_dict', 'prefix': 'module.',
                      'extras': {'epoch': 55, 'arch': 'AF_resnet50', 'best_prec1': 49.9},
                      'note': 'main.py saves {epoch, arch, state_dict, optimizer, best_prec1, val_acc_top1, '
                              'val_acc_top5} of the DataParallel model.'},
        'input': {'shape': shape, 'layout': 'N (T C) H W'},
        'output': {'shape': list(y.shape), 'values': outputs(y)},
        'masks': mask_values,
        'keys': key_list(sd)})


def official_clip(official):
    use_repo(official, 'openai+CLIP')
    # clip/__init__.py imports the tokenizer (ftfy, regex); only the model definitions are needed.
    spec = importlib.util.spec_from_file_location('clip_model', os.path.join(official, 'openai+CLIP', 'clip', 'model.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def clip_vitb16(clip_module):
    # ViT-B/16 as build_model() reads it from ViT-B-16.pt.
    model = clip_module.CLIP(512, 224, 12, 768, 16, 77, 49408, 512, 8, 12)
    clip_module.convert_weights(model)   # the released dtypes: fp16 convs, linears, attention and projections
    return model


def gen_clip_openai(official, out, torchscript_sample=None):
    clip = official_clip(official)
    model = clip_vitb16(clip)
    sd = model.state_dict()
    filled = fill(sd)
    model.load_state_dict(filled, strict=True)
    model.float().eval()
    shape = [2, 3, 224, 224]
    x = rule_input(shape)
    with torch.no_grad():
        y = model.visual(x)
    if torchscript_sample:
        # A real TorchScript archive of the same model, only to check the C# reader by hand (never committed).
        traced = torch.jit.trace(model, (x[:1], torch.zeros(1, 77, dtype=torch.long)), check_trace=False)
        half = {k for k, v in sd.items() if v.dtype == torch.float16}
        for name, p in traced.named_parameters():
            if name in half:
                p.data = p.data.half()
        torch.jit.save(traced, torchscript_sample)
        print('wrote TorchScript sample', torchscript_sample)
    write(out, 'clip_vitb16_openai', {
        'family': 'CLIP', 'layout': 'OpenAI', 'source': 'openai/CLIP clip/model.py, CLIP(512, 224, 12, 768, 16, 77, '
                                                        '49408, 512, 8, 12) after convert_weights (the released dtypes)',
        'container': {'format': 'torchscript', 'root': 'module', 'prefix': '',
                      'download': 'the ViT-B/16 entry of _MODELS in openai/CLIP clip/clip.py (ViT-B-16.pt)'},
        'input': {'shape': shape, 'layout': 'N C H W'},
        'output': {'shape': list(y.shape), 'values': outputs(y), 'note': 'model.visual(x): the image embedding'},
        'keys': key_list(sd)})


def hf_from_openai_keys(sd):
    """The Hugging Face CLIPModel key list (transformers modeling_clip.py, read by hand: transformers is not installable
    here), in module registration order, with the OpenAI key and transform each one comes from."""
    out = OrderedDict()
    layers_t = len({k.split('.')[2] for k in sd if k.startswith('transformer.resblocks.')})
    layers_v = len({k.split('.')[3] for k in sd if k.startswith('visual.transformer.resblocks.')})

    def tower(hf, oa, n):
        for i in range(n):
            h, o = f'{hf}encoder.layers.{i}.', f'{oa}transformer.resblocks.{i}.'
            for j, name in enumerate(['k', 'v', 'q']):
                idx = {'q': 0, 'k': 1, 'v': 2}[name]
                out[h + f'self_attn.{name}_proj.weight'] = (o + 'attn.in_proj_weight', ('rows', idx))
                out[h + f'self_attn.{name}_proj.bias'] = (o + 'attn.in_proj_bias', ('rows', idx))
            out[h + 'self_attn.out_proj.weight'] = (o + 'attn.out_proj.weight', None)
            out[h + 'self_attn.out_proj.bias'] = (o + 'attn.out_proj.bias', None)
            out[h + 'layer_norm1.weight'] = (o + 'ln_1.weight', None)
            out[h + 'layer_norm1.bias'] = (o + 'ln_1.bias', None)
            out[h + 'mlp.fc1.weight'] = (o + 'mlp.c_fc.weight', None)
            out[h + 'mlp.fc1.bias'] = (o + 'mlp.c_fc.bias', None)
            out[h + 'mlp.fc2.weight'] = (o + 'mlp.c_proj.weight', None)
            out[h + 'mlp.fc2.bias'] = (o + 'mlp.c_proj.bias', None)
            out[h + 'layer_norm2.weight'] = (o + 'ln_2.weight', None)
            out[h + 'layer_norm2.bias'] = (o + 'ln_2.bias', None)

    out['text_model.embeddings.token_embedding.weight'] = ('token_embedding.weight', None)
    out['text_model.embeddings.position_embedding.weight'] = ('positional_embedding', None)
    out['text_model.embeddings.position_ids'] = (None, ('position_ids', sd['positional_embedding'].shape[0]))
    tower('text_model.', '', layers_t)
    out['text_model.final_layer_norm.weight'] = ('ln_final.weight', None)
    out['text_model.final_layer_norm.bias'] = ('ln_final.bias', None)
    out['vision_model.embeddings.class_embedding'] = ('visual.class_embedding', None)
    out['vision_model.embeddings.patch_embedding.weight'] = ('visual.conv1.weight', None)
    out['vision_model.embeddings.position_embedding.weight'] = ('visual.positional_embedding', None)
    out['vision_model.embeddings.position_ids'] = (None, ('position_ids', sd['visual.positional_embedding'].shape[0]))
    out['vision_model.pre_layrnorm.weight'] = ('visual.ln_pre.weight', None)
    out['vision_model.pre_layrnorm.bias'] = ('visual.ln_pre.bias', None)
    tower('vision_model.', 'visual.', layers_v)
    out['vision_model.post_layernorm.weight'] = ('visual.ln_post.weight', None)
    out['vision_model.post_layernorm.bias'] = ('visual.ln_post.bias', None)
    out['visual_projection.weight'] = ('visual.proj', ('transpose', None))
    out['text_projection.weight'] = ('text_projection', ('transpose', None))
    out['logit_scale'] = ('logit_scale', None)
    return out


def gen_clip_hf(official, out):
    clip = official_clip(official)
    model = clip_vitb16(clip).float()
    sd = model.state_dict()
    mapping = hf_from_openai_keys(sd)
    width = sd['visual.class_embedding'].shape[0]
    hf_shapes = OrderedDict()
    for hf, (oa, how) in mapping.items():
        if oa is None:
            hf_shapes[hf] = torch.zeros(1, how[1], dtype=torch.long)
            continue
        t = sd[oa]
        if how and how[0] == 'rows':
            w = t.shape[0] // 3
            t = t[how[1] * w:(how[1] + 1) * w]
        elif how and how[0] == 'transpose':
            t = t.t()
        hf_shapes[hf] = t
    hf_filled = fill(hf_shapes)
    # Back to the OpenAI layout (the inverse of transformers' convert_clip_original_pytorch_to_hf.py) to run the
    # official model on the same tensors.
    oa_filled = OrderedDict()
    for hf, (oa, how) in mapping.items():
        if oa is None:
            continue
        if how and how[0] == 'rows':
            parts = oa_filled.setdefault(oa, [None, None, None])
            parts[how[1]] = hf_filled[hf]
        elif how and how[0] == 'transpose':
            oa_filled[oa] = hf_filled[hf].t().contiguous()
        else:
            oa_filled[oa] = hf_filled[hf]
    for k, v in list(oa_filled.items()):
        if isinstance(v, list):
            oa_filled[k] = torch.cat(v, 0)
    oa_filled = OrderedDict((k, oa_filled[k]) for k in sd)
    model.load_state_dict(oa_filled, strict=True)
    model.eval()
    shape = [2, 3, 224, 224]
    x = rule_input(shape)
    with torch.no_grad():
        y = model.visual(x)
    assert width == 768
    write(out, 'clip_vitb16_hf', {
        'family': 'CLIP', 'layout': 'HuggingFace',
        'source': 'Key list of transformers CLIPModel (modeling_clip.py, read by hand; transformers is not installable '
                  'here) for openai/clip-vit-base-patch16; outputs from openai/CLIP clip/model.py on the same tensors '
                  'mapped back as convert_clip_original_pytorch_to_hf.py maps them forward',
        'container': {'format': 'safetensors', 'root': 'state_dict', 'prefix': '',
                      'download': 'openai/clip-vit-base-patch16 on the Hugging Face hub (model.safetensors)'},
        'input': {'shape': shape, 'layout': 'N C H W'},
        'output': {'shape': list(y.shape), 'values': outputs(y), 'note': 'CLIPVisionModelWithProjection image_embeds'},
        'keys': key_list(hf_shapes)})


def gen_evl(official, out):
    clip = official_clip(official)
    clip_model = clip_vitb16(clip)
    clip_sd = clip_model.state_dict()
    clip_filled = fill(clip_sd)
    clip_model.load_state_dict(clip_filled, strict=True)
    clip_model.float().eval()
    use_repo(official, 'OpenGVLab+efficient-video-recognition')
    import model as evl_model
    # TemporalCrossAttention.forward allocates its result with a hard-coded device='cuda'; this CPU-only torch has no
    # CUDA, so the module's view of torch maps that one device argument to the CPU. Nothing else is changed.
    evl_model.torch = CpuOnlyTorch()
    EVLTransformer = evl_model.EVLTransformer
    frames = 8
    with tempfile.TemporaryDirectory() as tmp:
        # EVL's clip weight loader reads the backbone with torch.jit.load, as from ViT-B-16.pt.
        path = os.path.join(tmp, 'ViT-B-16.pt')
        traced = torch.jit.trace(clip_model, (torch.zeros(1, 3, 224, 224), torch.zeros(1, 77, dtype=torch.long)),
                                 check_trace=False)
        torch.jit.save(traced, path)
        model = EVLTransformer(num_frames=frames, backbone_name='ViT-B/16-lnpre', backbone_type='clip',
                               backbone_path=path, backbone_mode='freeze_fp32', decoder_num_layers=4,
                               decoder_qkv_dim=768, decoder_num_heads=12, num_classes=400)
    sd = model.state_dict()
    filled = fill(sd)
    shape = [1, 3, frames, 224, 224]
    x, y = load_and_run(model, filled, lambda: rule_input(shape))
    write(out, 'evl_vitb16', {
        'family': 'EVL', 'source': "OpenGVLab/efficient-video-recognition model.py, EVLTransformer(num_frames=8, "
                                   "backbone_name='ViT-B/16-lnpre', backbone_mode='freeze_fp32', decoder_num_layers=4, "
                                   "decoder_qkv_dim=768, decoder_num_heads=12, num_classes=400); backbone = the "
                                   "clip_vitb16_openai fixture's tensors (read by EVL's loader through torch.jit.load)",
        'container': {'format': 'zip', 'root': 'dict', 'entry': 'model', 'prefix': 'module.',
                      'note': 'checkpoint.py saves {model, optimizer, lr_sched, loss_scaler, next_step} of the '
                              'DistributedDataParallel model; --pretrain reads ckpt[model].'},
        'backbone': 'clip_vitb16_openai',
        'input': {'shape': shape, 'layout': 'N C T H W'},
        'output': {'shape': list(y.shape), 'values': outputs(y)},
        'keys': key_list(sd)})


def run_one(name, args):
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    torch.manual_seed(0)
    if name == 's3d':
        gen_s3d(args.official, args.out)
    elif name == 'movinet_stream_se':
        gen_movinet_stream_se(args.official, args.out)
    elif name.startswith('movinet_'):
        _, variant, mode = name.split('_')
        gen_movinet(args.official, args.out, variant, mode == 'stream')
    elif name == 'tsm_r50':
        gen_tsm(args.official, args.out)
    elif name == 'afnet_r50':
        gen_afnet(args.official, args.out)
    elif name == 'clip_vitb16_openai':
        gen_clip_openai(args.official, args.out, args.torchscript_sample)
    elif name == 'clip_vitb16_hf':
        gen_clip_hf(args.official, args.out)
    elif name == 'evl_vitb16':
        gen_evl(args.official, args.out)
    else:
        raise SystemExit(f'unknown fixture {name}; known: {", ".join(FIXTURES)}')


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--official', required=True, help='folder with the official repositories (owner+name)')
    parser.add_argument('--out', default=os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument('--only', help='one fixture name')
    parser.add_argument('--torchscript-sample', help='also save a real TorchScript CLIP archive here (manual checks)')
    args = parser.parse_args()
    args.official = os.path.abspath(args.official)
    if args.only:
        run_one(args.only, args)
        return
    # One process per fixture: TSM and AFNet both ship a top-level package named 'ops'.
    for name in FIXTURES:
        subprocess.run([sys.executable, os.path.abspath(__file__), '--official', args.official, '--out', args.out,
                        '--only', name], check=True)


if __name__ == '__main__':
    main()
