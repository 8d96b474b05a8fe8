"""HFAN: Hierarchical Feature Alignment Network, an MMSegmentation 1.x plugin.

Use ``bash tools/install.sh``: it installs torch (an installed build, CPU or
CUDA, is kept), onedl-mmcv without its compiled ops (nothing here needs them;
``--with-ops`` builds them) and the pinned stack before this package.
"""
import os.path as osp

from setuptools import find_packages, setup


def read_version():
    scope = {}
    with open(osp.join(osp.dirname(__file__), 'hfan', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def read_console_scripts():
    """``hfan-<name> = hfan.cli.<module>:main`` for every command, from
    ``hfan/cli/commands.py`` (read, not imported: torch may not be there)."""
    scope = {}
    path = osp.join(osp.dirname(__file__), 'hfan', 'cli', 'commands.py')
    with open(path) as f:
        exec(f.read(), scope)
    return scope['console_scripts']()


def read_requirements(path='requirements.txt'):
    with open(osp.join(osp.dirname(__file__), path)) as f:
        return [
            line.strip() for line in f
            if line.strip() and not line.startswith('#')
        ]


setup(
    name='hfan',
    version=read_version(),
    description='HFAN (ECCV 2022) for unsupervised video object segmentation '
    'on MMSegmentation 1.x',
    long_description=open('README.md', encoding='utf-8').read()
    if osp.exists('README.md') else '',
    long_description_content_type='text/markdown',
    packages=find_packages(include=['hfan', 'hfan.*']),
    python_requires='>=3.10',
    install_requires=read_requirements() + [
        'torch>=2.4', 'onedl-mmcv==2.3.6', 'onedl-mmsegmentation==1.4.2'
    ],
    extras_require=dict(
        tests=read_requirements('requirements/tests.txt'),
        app=['gradio'],
        raft=['torchvision']),
    entry_points=dict(console_scripts=read_console_scripts()),
    license='Apache-2.0',
    zip_safe=False)
