"""The built-in plugins: functions match their implementations, toy fields match the generator, imports light."""

from __future__ import annotations

import subprocess
import sys

from fasthep_flow.registry import builtin_registry


def test_every_function_impl_exists_and_arity_fits() -> None:
    import inspect

    import numpy as np

    from fasthep_flow.ops.core import functions_impl

    reg = builtin_registry()
    for name, fn in reg.functions.items():
        module, _, attr = fn.impl.partition(":")
        assert module == "fasthep_flow.ops.core.functions_impl" and attr == name
        impl = getattr(functions_impl, attr)
        assert name in functions_impl.FUNCTION_NAMES
        if isinstance(impl, np.ufunc):
            assert impl.nin == fn.min_args == fn.max_args, name
            continue
        params = list(inspect.signature(impl).parameters.values())
        assert len([p for p in params if p.default is inspect.Parameter.empty]) == fn.min_args, name
        assert len(params) == fn.max_args, name


def test_toy_fields_match_the_generator() -> None:
    from fasthep_flow.ops.core import toy, toy_impl

    assert set(toy.TOY_FIELDS) == set(toy_impl.FIELDS)
    assert toy.SPEC.param("nevents").default == toy_impl.DEFAULT_NEVENTS  # type: ignore[union-attr]
    assert toy.SPEC.param("seed").default == toy_impl.DEFAULT_SEED  # type: ignore[union-attr]


def test_registry_and_schema_import_no_heavy_libraries() -> None:
    code = (
        "import sys\n"
        "from fasthep_flow.registry import load_registry, builtin_registry\n"
        "from fasthep_flow.registry.schema import workflow_schema\n"
        "from fasthep_flow.registry.reference import op_markdown\n"
        "reg, _ = load_registry(None)\n"
        "workflow_schema(builtin_registry())\n"
        "[op_markdown(s) for s in reg.all_ops()]\n"
        "heavy = ('numpy', 'awkward', 'uproot', 'dask', 'hist', 'matplotlib', 'pyarrow', 'pygls')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
