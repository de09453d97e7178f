"""``xinyidai model train`` and ``xinyidai model evaluate`` (offline work; the ``model`` group
itself, with register / activate / list, lives in ``xinyidai/cli/model.py``). They join it as
plugins: the ``xinyidai.model_commands`` entry points name them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from xinyidai.dates import utc_now

if TYPE_CHECKING:  # the ML stack is imported by the commands, not by every `xinyidai` call
    from xinyidai_ml.train import Progress as ProgressCallback

console = Console(stderr=True)
DEFAULT_FIRMS = 20_000
DEFAULT_SEED = 7


@contextmanager
def _progress() -> Iterator[ProgressCallback]:
    with Progress(
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield report


@click.command("train")
@click.option(
    "--firms", default=DEFAULT_FIRMS, show_default=True, help="SMEs in the simulated city."
)
@click.option("--seed", default=DEFAULT_SEED, show_default=True, help="Simulator and model seed.")
@click.option("--drift", default=0.0, show_default=True, help="Simulator drift (0 = none).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Bundle directory (default: models/<version>).",
)
def train_command(firms: int, seed: int, drift: float, out: Path | None) -> None:
    """Train a model on a simulated loan history and write its bundle."""
    from xinyidai_ml.train import simulated_dataset, train

    if firms < 500:
        raise click.BadParameter("at least 500 firms", param_hint="--firms")
    with _progress() as report:
        data = simulated_dataset(firms, seed=seed, drift=drift, progress=report)
        result = train(
            data,
            seed=seed,
            sample={"simulator": {"firms": firms, "seed": seed, "drift": drift}},
            progress=report,
        )
    bundle = result.bundle
    target = out or Path("models") / bundle.version
    bundle.write(target)
    m = bundle.manifest["metrics"]
    console.print(
        f"[green]model {bundle.version}[/] → {target}\n"
        f"  loans train/validation/oot: {m['train']['loans']}/{m['validation']['loans']}/"
        f"{m['oot']['loans']}; OOT AUC {m['oot'].get('auc', float('nan')):.3f} "
        f"(Bayes {m['oot'].get('bayes_auc', float('nan')):.3f})"
    )
    click.echo(str(target))


@click.command("evaluate")
@click.argument("bundle_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--json",
    "json_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the report; the Markdown model card goes beside it.",
)
@click.option(
    "--german-credit/--no-german-credit",
    default=True,
    show_default=True,
    help="Also run the German Credit cross-validation (downloads 0.3 MB once).",
)
@click.option(
    "--cache",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".data/datasets"),
    show_default=True,
    help="Where downloaded data sets are kept.",
)
def evaluate_command(bundle_dir: Path, json_path: Path, german_credit: bool, cache: Path) -> None:
    """Evaluate a bundle on its out-of-time months and write the model card."""
    from xinyidai.domain.scoring.bundle import BundleError, ModelBundle
    from xinyidai_ml import evaluate
    from xinyidai_ml import german_credit as german

    try:
        bundle = ModelBundle.load(bundle_dir)
    except BundleError as exc:
        raise click.ClickException(str(exc)) from exc
    report: dict[str, object] = {
        "model_version": bundle.version,
        "generated_at": utc_now().isoformat(timespec="seconds"),
        "sample": bundle.manifest.get("sample", {}),
    }
    with _progress() as progress:
        try:
            splits = evaluate.splits_for(bundle, progress=progress)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        report["simulator"] = evaluate.evaluate_bundle(bundle, splits)
        if german_credit:
            data = german.load(german.fetch(cache))
            report["german_credit"] = german.cross_validate(data, progress=progress)
    card = evaluate.write_card(report, json_path)
    sim = report["simulator"]
    assert isinstance(sim, dict)
    console.print(
        f"OOT AUC {sim['oot_auc']:.3f} · Bayes {sim['bayes_auc']:.3f} · scorecard "
        f"{sim['logistic_auc']:.3f} · KS {sim['ks']:.3f} · Brier {sim['brier']:.4f} · "
        f"PSI {sim['psi_train_vs_oot']:.3f}"
    )
    console.print(f"wrote {json_path} and {card}")
