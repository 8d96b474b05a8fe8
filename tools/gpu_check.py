"""The GPU check: HFAN-Small/Medium at the published protocol, one table.

    python tools/gpu_check.py [--device cuda] [--repeat 20] [--frames DIR]
    bash tools/gpu_check.sh   # installs from carried wheels, then this

For each config (default: HFAN-Small and -Medium refine configs, sliding
512x512 windows on DAVIS-sized 480x854 frames): frames/s of the model
(``VideoSegmenter.predict`` on a prepared frame: normalisation, forward,
resize, softmax; median of ``--repeat`` after warm-up) in float32 and under
CUDA fp16 autocast (the published numbers' precision), single-scale and with
the multi-scale + flip test; the fp16-vs-fp32 mask agreement on real frames
(``--frames``, default the bundled demo clip, upscaled to 480x854, with DIS
flow); and the ONNX Runtime backend when its CUDA provider is there. Weights:
the released checkpoint when ``checkpoint/HFAN-{s,m}-converted.pth`` exists,
else random (speed does not depend on them; agreement then only shows that
the paths run). ``--device cpu`` runs everything (fp16 and ORT-CUDA rows
marked n/a): the script's smoke test.
"""
import argparse
import os
import os.path as osp
import statistics
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = {
    'HFAN-Small': ('local_configs/hfan/hfan.small.512x512.refine.py',
                   'checkpoint/HFAN-s-converted.pth'),
    'HFAN-Medium': ('local_configs/hfan/hfan.medium.512x512.refine.py',
                    'checkpoint/HFAN-m-converted.pth'),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='HFAN speed and fp16 agreement on a GPU, one table.',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('--device', default='cuda')
    parser.add_argument('--repeat', type=int, default=20)
    parser.add_argument('--frames', default=osp.join(ROOT, 'demo', 'frames',
                                                     'blackswan'))
    parser.add_argument('--agreement-frames', type=int, default=8)
    parser.add_argument('--configs', nargs='+', metavar='NAME=CONFIG[:CKPT]',
                        help='other configs than HFAN-Small/Medium')
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.agreement_frames < 2:
        parser.error('--repeat >= 1 and --agreement-frames >= 2')
    return args


def configs(args):
    if not args.configs:
        return {name: (osp.join(ROOT, c), osp.join(ROOT, k))
                for name, (c, k) in CONFIGS.items()}
    out = {}
    for item in args.configs:
        name, _, rest = item.partition('=')
        config, _, checkpoint = rest.partition(':')
        out[name] = (config, checkpoint or None)
    return out


def real_inputs(args):
    import cv2

    from hfan.flow import build_flow_estimator, flow_to_bgr
    from hfan.io.video import FrameFolder
    folder = FrameFolder(args.frames)
    frames = [cv2.resize(folder.read(p), (854, 480))
              for p in folder.paths[:args.agreement_frames + 1]]
    dis = build_flow_estimator('dis')
    return [(frames[t], flow_to_bgr(dis(frames[t], frames[t + 1])))
            for t in range(len(frames) - 1)]


def fps(segmenter, pair, repeat):
    import torch
    prepared = [segmenter.prepare(*pair)]
    cuda = segmenter.device.type == 'cuda'
    times = []
    for i in range(repeat + 2):
        if cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        segmenter.predict(prepared)
        if cuda:
            torch.cuda.synchronize()
        if i >= 2:
            times.append(time.perf_counter() - start)
    return 1.0 / statistics.median(times)


def check(name, config, checkpoint, pairs, args):
    import numpy as np

    from hfan.apis import VideoSegmenter
    from hfan.deploy import onnxruntime_available
    ckpt = checkpoint if checkpoint and osp.isfile(checkpoint) else None
    cuda = args.device.startswith('cuda')
    row = dict(model=name, weights=osp.basename(ckpt) if ckpt else 'random')
    base = dict(checkpoint=ckpt, device=args.device, cpu_bf16=False,
                prefetch=False)
    fp32 = VideoSegmenter(config, **base)
    row['fp32'] = fps(fp32, pairs[0], args.repeat)
    row['fp32 MS'] = fps(VideoSegmenter(config, aug_test=True, **base),
                         pairs[0], max(1, args.repeat // 5))
    if cuda:
        fp16 = VideoSegmenter(config, fp16=True, **base)
        row['fp16'] = fps(fp16, pairs[0], args.repeat)
        row['fp16 MS'] = fps(
            VideoSegmenter(config, aug_test=True, fp16=True, **base),
            pairs[0], max(1, args.repeat // 5))
        agree = [np.mean(fp16.segment_pair(*p)[0] == fp32.segment_pair(*p)[0])
                 for p in pairs]
        row['fp16=fp32 px'] = f'{100 * np.mean(agree):.3f}%'
    if onnxruntime_available():
        import onnxruntime as ort
        if not cuda or 'CUDAExecutionProvider' in \
                ort.get_available_providers():
            row['ORT fp32'] = fps(
                VideoSegmenter(config, backend='onnxruntime', **base),
                pairs[0], args.repeat)
    return row


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch

    import hfan  # noqa: F401
    device = (torch.cuda.get_device_name(0) if args.device.startswith('cuda')
              else f'CPU ({os.cpu_count()} cores)')
    pairs = real_inputs(args)
    rows = [check(name, c, k, pairs, args)
            for name, (c, k) in configs(args).items()]
    columns = ['model', 'weights', 'fp32', 'fp16', 'fp32 MS', 'fp16 MS',
               'ORT fp32', 'fp16=fp32 px']
    print(f'\nHFAN GPU check on {device}, torch {torch.__version__}, '
          f'480x854 frames, frames/s (MS: multi-scale + flip)')
    print('| ' + ' | '.join(columns) + ' |')
    print('|' + '---|' * len(columns))
    for row in rows:
        cells = [row.get(c, 'n/a') for c in columns]
        print('| ' + ' | '.join(f'{v:.1f}' if isinstance(v, float) else
                                str(v) for v in cells) + ' |')
    return 0


if __name__ == '__main__':
    sys.exit(main())
