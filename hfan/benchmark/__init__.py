"""Speed measurements of the project's steps on generated inputs, what the
``tools/benchmark_*.py`` commands report. Each module times one step and
returns figures; the commands print them."""
