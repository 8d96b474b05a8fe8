"""Frame / flow / mask triplets of the DAVIS2SEG and YouTube2SEG layouts."""
import os
import os.path as osp
from typing import List

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS


@DATASETS.register_module()
class VOSDataset(BaseSegDataset):
    """A video object segmentation split as frame, flow and mask folders.

    The published layout (``DAVIS2SEG``, ``YouTube2SEG``)::

        data_root/frame/<split>/<video>_<00000>.jpg
        data_root/flow/<split>/<video>_<00000>.jpg  t -> t+1 (last: t -> t-1)
        data_root/mask/<split>/<video>_<00000>.png  binary (nonzero = object)

    Samples are paired by file name. Every frame must have its flow image and,
    unless ``data_prefix['seg_map_path']`` is None, its mask: a missing partner
    stops with the path that was looked for, and an empty split stops too.
    Each sample carries ``flow_path``, ``video`` and ``frame_index``.

    Args:
        data_prefix (dict): ``img_path``, ``flow_path`` and ``seg_map_path``
            folders relative to ``data_root``.
        flow_suffix (str): Extension of the flow images. Default: '.jpg'.
        **kwargs: ``BaseSegDataset`` arguments.
    """

    METAINFO = dict(
        classes=('background', 'foreground'),
        palette=[[0, 0, 0], [255, 0, 0]])

    def __init__(self,
                 data_prefix: dict = dict(
                     img_path='frame/train',
                     flow_path='flow/train',
                     seg_map_path='mask/train'),
                 img_suffix: str = '.jpg',
                 flow_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 **kwargs):
        self.flow_suffix = flow_suffix
        super().__init__(
            data_prefix=data_prefix,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        img_dir = self.data_prefix.get('img_path')
        flow_dir = self.data_prefix.get('flow_path')
        ann_dir = self.data_prefix.get('seg_map_path')
        if not flow_dir:
            raise ValueError(
                "VOSDataset needs data_prefix['flow_path'] (the folder of "
                "flow images), e.g. 'flow/train'")
        if not osp.isdir(img_dir):
            raise FileNotFoundError(
                f'VOSDataset: frame folder {img_dir!r} does not exist; check '
                'data_root (default data/DAVIS2SEG) and data_prefix; '
                'tools/prepare_davis.py writes this layout')
        names = sorted(
            name[:-len(self.img_suffix)] for name in os.listdir(img_dir)
            if name.endswith(self.img_suffix))
        if not names:
            raise ValueError(
                f'VOSDataset: no *{self.img_suffix} frames in {img_dir!r} '
                '(empty split)')
        data_list = []
        for name in names:
            flow_path = osp.join(flow_dir, name + self.flow_suffix)
            if not osp.isfile(flow_path):
                raise FileNotFoundError(
                    f'VOSDataset: frame {osp.join(img_dir, name)}'
                    f'{self.img_suffix} has no flow image {flow_path}')
            video, _, index = name.rpartition('_')
            info = dict(
                img_path=osp.join(img_dir, name + self.img_suffix),
                flow_path=flow_path,
                video=video or name,
                frame_index=int(index) if index.isdigit() else 0,
                label_map=self.label_map,
                reduce_zero_label=self.reduce_zero_label,
                seg_fields=[])
            if ann_dir is not None:
                seg_map_path = osp.join(ann_dir, name + self.seg_map_suffix)
                if not osp.isfile(seg_map_path):
                    raise FileNotFoundError(
                        f'VOSDataset: frame {info["img_path"]} has no mask '
                        f'{seg_map_path}')
                info['seg_map_path'] = seg_map_path
            data_list.append(info)
        return data_list
