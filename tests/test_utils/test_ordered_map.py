"""hfan.utils.ordered_map: results in order, work side by side, errors at
their position, clean stops."""
import threading
import time

import pytest

from hfan.utils.ordered_map import ordered_map


def worker_threads():
    return [t for t in threading.enumerate()
            if t.name.startswith('test-worker')]


def test_results_in_order_while_two_run_at_once():
    running, peak = [0], [0]
    lock = threading.Lock()

    def slow_then_fast(i):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        # even items take longer: a later item finishes first
        time.sleep(0.08 if i % 2 == 0 else 0.01)
        with lock:
            running[0] -= 1
        return i * i

    got = list(ordered_map(slow_then_fast, range(8), workers=2,
                           name='test-worker'))
    assert got == [i * i for i in range(8)]
    assert peak[0] == 2
    assert not worker_threads()


def test_items_are_read_only_as_far_as_the_workers_need():
    produced = []

    def items():
        for i in range(100):
            produced.append(i)
            yield i

    stream = ordered_map(lambda i: i, items(), workers=2,
                         name='test-worker')
    assert next(stream) == 0
    assert len(produced) == 2  # one in flight beside the one returned
    assert next(stream) == 1
    assert len(produced) == 3
    stream.close()
    assert not worker_threads()


def test_an_error_of_the_function_comes_after_the_results_before_it():
    def fn(i):
        if i == 3:
            raise ValueError('frame 3 is broken')
        time.sleep(0.02)
        return i

    got = []
    with pytest.raises(ValueError, match='frame 3 is broken'):
        for result in ordered_map(fn, range(10), workers=2,
                                  name='test-worker'):
            got.append(result)
    assert got == [0, 1, 2]
    assert not worker_threads()


def test_an_error_of_the_items_comes_after_the_results_before_it():
    def items():
        yield 0
        yield 1
        raise OSError('frame 2 could not be read')

    got = []
    with pytest.raises(OSError, match='frame 2 could not be read'):
        for result in ordered_map(lambda i: i + 10, items(), workers=2,
                                  name='test-worker'):
            got.append(result)
    assert got == [10, 11]
    assert not worker_threads()


def test_closing_early_cancels_what_has_not_started():
    started = []

    def fn(i):
        started.append(i)
        time.sleep(0.05)
        return i

    def endless():
        i = 0
        while True:
            yield i
            i += 1

    stream = ordered_map(fn, endless(), workers=2, name='test-worker')
    assert [next(stream) for _ in range(3)] == [0, 1, 2]
    begin = time.perf_counter()
    stream.close()
    assert time.perf_counter() - begin < 2
    assert not worker_threads()
    assert len(started) <= 5


def test_one_worker_runs_in_the_calling_thread():
    names = list(ordered_map(lambda _: threading.current_thread().name,
                             range(3), workers=1, name='test-worker'))
    assert names == [threading.current_thread().name] * 3


def test_workers_must_be_positive():
    with pytest.raises(ValueError, match='at least 1, got 0'):
        next(ordered_map(str, [1], workers=0))
