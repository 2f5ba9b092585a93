"""The generator of the embedded demo street (the files of :mod:`gridgov.datasets`).

Not part of the installed package: the wheel ships only the loader
(:mod:`gridgov.datasets`) and the files this generator writes.  Run it from
the repository root::

    python -m tools.demo.build               # rewrite gridgov/datasets/data/
    python -m tools.demo.build --out DIR     # write the three files into DIR

The build is deterministic (seeded generators) and verifies every planted
defect before it writes; ``tests/test_demo_build.py`` checks that it
reproduces the shipped files.  Modules: :mod:`tools.demo.build` (the
pipeline and the command), ``_design`` (the design inputs), ``_planar`` and
``_street`` (linework, faces, grid networks), ``_people`` (buildings,
households, stations) and ``_truth`` (the independent ground truth).
"""
