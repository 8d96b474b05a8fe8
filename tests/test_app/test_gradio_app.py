"""The web app: its handlers called directly, and the real thing driven in
headless Chromium (upload a video, press Segment, get the overlay video).

The browser test needs Gradio (requirements/app.txt), selenium and Debian's
chromium + chromium-driver; it is skipped, saying which is missing, without
them.
"""
import importlib.util
import json
import os
import os.path as osp
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile

import cv2
import numpy as np
import pytest
from testkit import ROOT, SIZE, synthetic_frame, write_test_video

from hfan.app import (
    AppError,
    ModelCache,
    WorkDir,
    list_files,
    segment_frame_pair,
    segment_video_file,
)
from hfan.io import count_frames, open_video
from hfan.visualization import overlay_mask

# every test here runs tiny models: one torch thread (see conftest)
pytestmark = pytest.mark.usefixtures('one_torch_thread')

FRAMES = 8


@pytest.fixture(scope='module')
def upload(tmp_path_factory):
    path = tmp_path_factory.mktemp('upload') / 'walk.mp4'
    write_test_video(path, frames=FRAMES)
    return str(path)


# ---------------------------------------------------------------------------
# The handlers, without Gradio
# ---------------------------------------------------------------------------
def test_video_handler_returns_overlay_and_mask_zip(tiny, upload, tmp_path):
    models = ModelCache('cpu')
    work = WorkDir(str(tmp_path / 'work'))
    seen = []
    result = segment_video_file(upload, *tiny, models, work,
                                on_frame=lambda d, n: seen.append((d, n)))
    assert seen[-1] == (FRAMES, FRAMES)
    assert result['overlay'].endswith('walk_overlay.webm')
    assert count_frames(result['overlay']) == FRAMES
    assert f'{FRAMES} frames (96x64)' in result['message']
    # The zip: the DAVIS layout, 0/255, the masks the API gives.
    from hfan.apis.inference import VideoSegmenter
    expected = [m for _, m, _ in VideoSegmenter(*tiny).segment_video(
        open_video(upload))]
    with zipfile.ZipFile(result['zip']) as archive:
        names = archive.namelist()
        assert names == [f'walk/{t:05d}.png' for t in range(FRAMES)]
        for name, mask in zip(names, expected):
            png = np.frombuffer(archive.read(name), np.uint8)
            saved = cv2.imdecode(png, cv2.IMREAD_UNCHANGED)
            np.testing.assert_array_equal(saved, mask * 255)
    assert not [n for n in os.listdir(osp.dirname(result['zip']))
                if n.endswith('.part') or '.hfantmp' in n]
    # The model stays loaded between requests.
    assert models.get(*tiny) is models.get(*tiny)
    limited = segment_video_file(upload, *tiny, models, work, max_frames=3)
    assert count_frames(limited['overlay']) == 3
    assert 'first 3 of 8 frames' in limited['message']


def upload_path(folder):
    path = folder / 'short.mp4'
    write_test_video(path, frames=2)
    return str(path)


def test_handlers_report_bad_uploads(tiny, tmp_path):
    models = ModelCache('cpu')
    work = WorkDir(str(tmp_path / 'work'))
    with pytest.raises(AppError, match='upload a video'):
        segment_video_file(None, *tiny, models, work)
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(os.urandom(3000))
    with pytest.raises(AppError, match=f'cannot read video file {bad}'):
        segment_video_file(str(bad), *tiny, models, work)
    with pytest.raises(AppError, match='checkpoint file .*nope.pth does not'):
        segment_video_file(upload_path(tmp_path), tiny[0],
                           str(tmp_path / 'nope.pth'), models, work)

    # Gradio gives RGB: the handler's mask is the API's on the BGR images,
    # its overlay the API's overlay, back in RGB.
    frame_bgr = synthetic_frame(0)
    flow_bgr = np.full_like(frame_bgr, 255)
    flow_bgr[16:32, 8:24] = (60, 60, 255)  # not grey: RGB != BGR
    frame = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
    flow = cv2.cvtColor(flow_bgr, cv2.COLOR_BGR2RGB)
    overlay, mask = segment_frame_pair(frame, flow, *tiny, models)
    expected, _ = models.get(*tiny).segment_pair(frame_bgr, flow_bgr)
    np.testing.assert_array_equal(mask, expected * 255)
    np.testing.assert_array_equal(
        overlay,
        cv2.cvtColor(overlay_mask(frame_bgr, expected), cv2.COLOR_BGR2RGB))
    with pytest.raises(AppError, match='must have the same size'):
        segment_frame_pair(frame, flow[:32], *tiny, models)
    with pytest.raises(AppError, match='both a frame and its flow'):
        segment_frame_pair(frame, None, *tiny, models)


@pytest.mark.parametrize('size', [(8, 8), (10, 11)])
def test_a_video_too_small_for_dis_is_the_apps_message(tiny, tmp_path,
                                                       size):
    """Frames under DIS's minimum (about 12 pixels a side): OpenCV's
    cv2.error used to escape the handler; now the app's own message names
    the video, its size and the flow, and no output is left behind."""
    h, w = size
    folder = tmp_path / 'dot'
    folder.mkdir()
    for t in range(3):
        assert cv2.imwrite(str(folder / f'{t:05d}.png'),
                           np.full((h, w, 3), 40 * t, np.uint8))
    work = WorkDir(str(tmp_path / 'work'))
    with pytest.raises(AppError) as info:
        segment_video_file(str(folder), *tiny, ModelCache('cpu'), work)
    msg = str(info.value)
    assert msg.startswith(f'cannot segment dot ({w}x{h} pixels, dis flow)')
    assert '\n' not in msg and 'opencv/modules' not in msg
    leftovers = [n for _, _, files in os.walk(work.root) for n in files]
    assert leftovers == []


def test_every_handler_error_is_the_apps_message(tiny, upload, tmp_path,
                                                 monkeypatch):
    """An error the handlers do not foresee (here the model failing on a
    frame) reaches the page as an AppError naming what failed and why,
    not as the exception itself."""
    from hfan.apis.inference import VideoSegmenter

    def broken(*args, **kwargs):
        raise RuntimeError('CUDA out of memory (simulated)')

    models = ModelCache('cpu')
    models.get(*tiny)
    # the forward every path runs (a video's in a worker thread)
    monkeypatch.setattr(VideoSegmenter, 'predict', broken)
    work = WorkDir(str(tmp_path / 'work'))
    with pytest.raises(AppError, match=r'cannot segment walk \(96x64 pixels, '
                       r'dis flow\): CUDA out of memory \(simulated\)'):
        segment_video_file(upload, *tiny, models, work)
    frame = synthetic_frame(0)
    with pytest.raises(AppError, match='cannot segment the 96x64 frame: '
                       'CUDA out of memory'):
        segment_frame_pair(frame, frame, *tiny, models)
    empty = np.zeros((0, 0, 3), np.uint8)  # OpenCV's cv2.error inside
    with pytest.raises(AppError, match='cannot segment the frame: OpenCV '
                       'refused the frames'):
        segment_frame_pair(empty, empty, *tiny, models)


def test_dropdown_lists_configs_and_checkpoints(tmp_path):
    configs = list_files(osp.join(ROOT, 'local_configs', 'hfan'), '*.py',
                         ['/x/mine.py'])
    assert configs[0] == '/x/mine.py'
    assert osp.join(ROOT, 'local_configs', 'hfan',
                    'hfan.b0.192x256.synthetic.py') in configs
    (tmp_path / 'a.pth').write_bytes(b'')
    assert list_files(str(tmp_path), '*.pth') == [str(tmp_path / 'a.pth')]


def test_model_cache_runs_on_the_default_device():
    from hfan.utils.defaults import default_device
    assert ModelCache().device == default_device()
    assert ModelCache('cpu').device == 'cpu'


def test_serve_reports_missing_gradio_and_a_taken_port(monkeypatch):
    import hfan.app.interface as interface
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, 'find_spec',
        lambda name, *a: None if name == 'gradio' else real_find_spec(
            name, *a))
    with pytest.raises(ImportError, match='Gradio is not installed') as e:
        interface.serve()
    assert interface.GRADIO_INSTALL in str(e.value)
    monkeypatch.setattr(importlib.util, 'find_spec', real_find_spec)
    if real_find_spec('gradio') is None:
        return
    calls = []

    def taken(*args, **kwargs):
        calls.append(kwargs)
        raise OSError('[Errno 98] Address already in use')

    monkeypatch.setattr(interface, 'launch', taken)
    with pytest.raises(AppError, match='cannot serve on 0.0.0.0:8080: '
                       r'\[Errno 98\]'):
        interface.serve('c.py', 'k.pth', host='0.0.0.0', port=8080)
    assert calls == [dict(host='0.0.0.0', port=8080, device=None,
                          block=True)]


def test_app_command_names_a_missing_checkpoint(tmp_path, monkeypatch,
                                                capsys):
    import hfan.app
    from hfan.cli.app import main
    monkeypatch.setattr(hfan.app, 'require_gradio', lambda: None)
    config = tmp_path / 'c.py'
    config.write_text('')
    assert main(['--config', str(config), '--checkpoint',
                 str(tmp_path / 'nope.pth')]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f'tools/app.py: error: checkpoint file '
                          f'{tmp_path / "nope.pth"} does not exist\n')
    assert 'tools/demo.py --help' in err


# ---------------------------------------------------------------------------
# The real app in a real browser
# ---------------------------------------------------------------------------
def _browser_setup():
    """(chromium, chromedriver) or a pytest.skip naming what is missing."""
    missing = [m for m in ('gradio', 'selenium')
               if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f'{" and ".join(missing)} not installed (pip install '
                    '--no-deps -r requirements/app.txt; pip install '
                    'selenium)')
    chromium = shutil.which('chromium') or shutil.which('chromium-browser')
    driver = shutil.which('chromedriver')
    if not chromium or not driver:
        pytest.skip('chromium / chromedriver not installed (apt-get install '
                    '-y chromium chromium-driver)')
    return chromium, driver


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _wait_for_server(url, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ''
            pytest.fail(f'tools/app.py exited ({proc.returncode}):\n'
                        f'{out[-3000:]}')
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f'the app did not answer at {url} within {timeout} s')


def test_app_in_headless_chromium(tiny, upload, tmp_path):
    chromium, driver_path = _browser_setup()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    port = _free_port()
    url = f'http://127.0.0.1:{port}/'
    # The app's work folder and Gradio's cache go below tmp_path.
    env = dict(os.environ, OMP_NUM_THREADS='1', TMPDIR=str(tmp_path),
               GRADIO_TEMP_DIR=str(tmp_path / 'gradio'))
    proc = subprocess.Popen(
        [sys.executable, osp.join(ROOT, 'tools', 'app.py'), '--config',
         tiny[0], '--checkpoint', tiny[1], '--port', str(port), '--host',
         '127.0.0.1', '--device', 'cpu'],
        cwd=str(tmp_path), env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    browser = None
    try:
        _wait_for_server(url, proc, timeout=40)
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for arg in ('--headless=new', '--no-sandbox', '--disable-gpu',
                    '--disable-dev-shm-usage', '--window-size=1280,1400'):
            options.add_argument(arg)
        # The network log shows every URL the page asks for.
        options.set_capability('goog:loggingPrefs', {'performance': 'ALL'})
        browser = webdriver.Chrome(service=Service(driver_path),
                                   options=options)
        browser.get(url)
        wait = WebDriverWait(browser, 30)
        field = wait.until(lambda b: b.find_element(
            By.CSS_SELECTOR, '#video-in input[type=file]'))
        field.send_keys(upload)
        # The upload is finished when the field links to the stored file.
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR,
                                             '#video-in a[href*="walk"]'))
        browser.find_element(By.CSS_SELECTOR, '#run-video').click()
        src = WebDriverWait(browser, 45).until(lambda b: next(
            (v.get_attribute('src') for v in b.find_elements(
                By.CSS_SELECTOR, '#overlay video')
             if v.get_attribute('src')), None))
        status = browser.find_element(By.CSS_SELECTOR,
                                      '#status textarea').get_attribute(
                                          'value')
        assert f'{FRAMES} frames (96x64)' in status
        links = [a.get_attribute('href') for a in browser.find_elements(
            By.CSS_SELECTOR, '#masks a') if a.get_attribute('href')]

        # What the browser received: the overlay video with every frame,
        # and the zip of the masks.
        overlay = tmp_path / 'received.webm'
        with urllib.request.urlopen(src, timeout=10) as response:
            overlay.write_bytes(response.read())
        assert count_frames(str(overlay)) == FRAMES
        cap = cv2.VideoCapture(str(overlay))
        ok, frame = cap.read()
        cap.release()
        assert ok and frame.shape[:2] == SIZE
        assert any(link.endswith('walk_masks.zip') for link in links)
        masks = tmp_path / 'masks.zip'
        with urllib.request.urlopen(links[0], timeout=10) as response:
            masks.write_bytes(response.read())
        with zipfile.ZipFile(masks) as archive:
            assert len(archive.namelist()) == FRAMES

        # Offline: the page fetched nothing but the app itself.
        requested = set()
        for entry in browser.get_log('performance'):
            message = json.loads(entry['message'])['message']
            if message['method'] == 'Network.requestWillBeSent':
                requested.add(message['params']['request']['url'])
        external = sorted(u for u in requested if not u.startswith(
            (url.rstrip('/'), 'data:', 'blob:')))
        assert not external, f'the page fetched {external}'
    finally:
        if browser is not None:
            browser.quit()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
