"""``--engine spark`` gives the same findings.json and the same anonymized files as the local engine.

Runs Spark in local mode (``local[2]``, no UI) on copies of sample_data's
GBK CSV, JSON Lines and Parquet datasets, with partitions forced small
(16 KB) so every dataset is split: that exercises ``ColumnProfile.merge`` on
the driver and the partition-ordered stitching of anonymized columns, which a
one-partition run would not. With ``CI=true`` a missing pyspark or Java
fails; elsewhere the Spark tests skip with the reason.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner import spark_engine
from scanner.cli import app
from tests.conftest import ROOT, in_ci

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")

MASTER = "local[2]"
KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
runner = CliRunner()


@pytest.fixture(scope="module")
def spark():
    problem = spark_engine.spark_problem()
    if problem:
        if in_ci():
            pytest.fail(f"CI needs the Spark engine: {problem}")
        pytest.skip(f"Spark engine not testable here: {problem}")
    session = spark_engine.get_spark(MASTER)
    session.conf.set("spark.sql.files.maxPartitionBytes", "16k")  # split even sample-sized files
    session.conf.set("spark.sql.files.openCostInBytes", "1k")
    yield session
    spark_engine.stop_spark()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Parquet, GBK CSV, JSON Lines (Spark) and a log file (local fallback)."""
    root = tmp_path_factory.mktemp("spark") / "data"
    for rel in ("crm/customers_gbk.csv", "events/app_events.jsonl", "orders/orders_2024.parquet", "logs/app.log"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / "sample_data" / rel, root / rel)
    return root


def _scan(args: list[str], outdir: Path) -> dict:
    result = runner.invoke(app, ["scan", *args, "-o", str(outdir), "--no-history", "--as-of", "2026-11-29",
                                 "--quiet"])
    assert result.exit_code in (0, 3), result.output
    return json.loads((outdir / "findings.json").read_text(encoding="utf-8"))


def _comparable(findings: dict) -> dict:
    """Everything but the scan's id, timestamps and parameters."""
    return {"datasets": findings["datasets"], "violations": findings["violations"], "errors": findings["errors"],
            "mode": findings["scan"]["mode"]}


def test_full_scan_findings_equal_the_local_engine(spark, data: Path, tmp_path: Path):
    local = _scan([str(data), "--full"], tmp_path / "local")
    spark_run = _scan([str(data), "--full", "--engine", "spark", "--spark-master", MASTER], tmp_path / "spark")
    ids = [d["id"] for d in spark_run["datasets"]]
    assert ids == ["crm/customers_gbk.csv", "events/app_events.jsonl", "logs/app.log", "orders/orders_2024.parquet"]
    by_id = {d["id"]: d for d in spark_run["datasets"]}
    assert by_id["crm/customers_gbk.csv"]["rows_scanned"] == 300
    assert any(c["primary_entity"] == "CN_RESIDENT_ID" for c in by_id["crm/customers_gbk.csv"]["columns"])
    assert any(c["name"] == "user.contact.mobile" and c["primary_entity"] == "CN_MOBILE_PHONE"
               for c in by_id["events/app_events.jsonl"]["columns"])
    assert _comparable(spark_run) == _comparable(local)
    # the file really was split, so the equality above went through ColumnProfile.merge
    spec = spark_engine.spec_of(next(iter(spark_engine.SparkScanner(MASTER).resolve([str(data / "events")])[0])))
    assert spark_engine.read_frame(spark, spec).rdd.getNumPartitions() > 1


def test_sample_mode_draws_about_sample_rows_and_finds_the_same_columns(spark, data: Path):
    scanner = spark_engine.SparkScanner(MASTER)
    datasets, _ = scanner.resolve([str(data / "orders")])
    from scanner.pipeline import ScanOptions, scan_dataset

    sampled = scanner.scan(datasets[0], ScanOptions(sample_rows=200))
    assert sampled.rows == 2000
    assert 120 <= sampled.rows_scanned <= 300  # Bernoulli sample seeded by the dataset id
    again = scanner.scan(datasets[0], ScanOptions(sample_rows=200))
    assert again.rows_scanned == sampled.rows_scanned
    local = scan_dataset(datasets[0], ScanOptions(full=True))
    assert [c.primary_entity for c in sampled.columns] == [c.primary_entity for c in local.columns]


def test_hadoop_scheme_paths_are_passed_to_spark(spark, data: Path, tmp_path: Path):
    uri = (data / "orders" / "orders_2024.parquet").resolve().as_uri()  # file:///..., read by Spark itself
    assert spark_engine.is_spark_path(uri) and spark_engine.is_spark_path("s3a://bucket/x.parquet")
    assert not spark_engine.is_spark_path("postgresql+psycopg://u@h/db")
    found = _scan([uri, "--full", "--engine", "spark", "--spark-master", MASTER], tmp_path / "remote")
    assert found["errors"] == []
    (ds,) = found["datasets"]
    assert ds["id"] == "orders_2024.parquet" and ds["rows"] == 2000
    entities = {c["name"]: c["primary_entity"] for c in ds["columns"]}
    assert entities["buyer_mobile"] == "CN_MOBILE_PHONE" and entities["bank_card"] == "BANK_CARD"
    # a remote GBK CSV gets the local encoding/header treatment (read through Hadoop's FileSystem)
    csv_uri = (data / "crm" / "customers_gbk.csv").resolve().as_uri()
    remote = _scan([csv_uri, "file:///nonexistent/x.csv", "--full", "--engine", "spark", "--spark-master", MASTER],
                   tmp_path / "remote-csv")
    local = _scan([str(data / "crm" / "customers_gbk.csv"), "--full"], tmp_path / "local-csv")
    assert remote["errors"] == [{"source": "file:///nonexistent/x.csv", "error": "no such file or directory"}]
    assert remote["datasets"][0]["columns"] == local["datasets"][0]["columns"]


def _without_spans(record: dict) -> list[dict]:
    """Dataset records minus free-text span tallies (counted once per distinct text per batch)."""
    out = []
    for ds in record["datasets"]:
        columns = [{k: v for k, v in c.items() if k not in ("spans", "spans_by_entity")} for c in ds["columns"]]
        out.append({**ds, "columns": columns})
    return out


def _anonymize_both(data: Path, tmp_path: Path, *extra: str) -> tuple[dict[str, Path], str]:
    """``anonymize`` with the local engine, then with Spark: the two OUTDIRs, and the Spark run's output."""
    outs, output = {}, ""
    for engine in ("local", "spark"):
        outs[engine] = tmp_path / engine
        result = runner.invoke(app, ["anonymize", str(data), "-o", str(outs[engine]), *extra,
                                     "--engine", engine, "--spark-master", MASTER])
        assert result.exit_code == 0, result.output
        output = result.output
    return outs, output


def test_anonymized_output_equals_the_local_engine(spark, data: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PIIWARDEN_KEY", KEY_HEX)
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\nentities:\n  EMAIL_ADDRESS: {op: hash}\n  CN_MOBILE_PHONE: {op: pseudonym}\n",
                     encoding="utf-8")
    outs, output = _anonymize_both(data, tmp_path, "--rules", str(rules))
    assert "note: text datasets are anonymized by the local engine" in output
    files = sorted(p.relative_to(outs["local"]) for p in outs["local"].rglob("*") if p.is_file())
    assert [str(f) for f in files if f.name != "anonymization.json"] == [
        "crm/customers_gbk.csv", "events/app_events.jsonl", "logs/app.log", "orders/orders_2024.parquet"]
    for rel in files:
        if rel.name != "anonymization.json":
            assert (outs["spark"] / rel).read_bytes() == (outs["local"] / rel).read_bytes(), rel
    # and something was really changed (a no-op on both sides would also be "equal")
    csv_in = (data / "crm/customers_gbk.csv").read_bytes()
    assert (outs["spark"] / "crm/customers_gbk.csv").read_bytes() != csv_in
    local_record = json.loads((outs["local"] / "anonymization.json").read_text(encoding="utf-8"))
    spark_record = json.loads((outs["spark"] / "anonymization.json").read_text(encoding="utf-8"))
    assert spark_record["run"]["engine"] == "spark"
    from scanner.anonymize.keys import load_key
    from scanner.anonymize.run import AUTH_OK, authenticate

    assert authenticate(spark_record, load_key(None, {"PIIWARDEN_KEY": KEY_HEX})) == AUTH_OK  # signed like local
    assert _without_spans(spark_record) == _without_spans(local_record)
    changed = sum(c.get("values_changed", 0) for ds in spark_record["datasets"] for c in ds["columns"])
    assert changed > 1000


def test_engine_spark_without_pyspark_is_a_usage_error(monkeypatch, tmp_path: Path, data: Path):
    import scanner.cli.common as cli_common  # both commands ask it

    monkeypatch.setattr(cli_common, "spark_problem", lambda: "pyspark is not installed")
    result = runner.invoke(app, ["scan", str(data), "-o", str(tmp_path / "o"), "--no-history", "--engine", "spark"])
    assert result.exit_code == 2 and "pyspark is not installed" in result.output
    assert not (tmp_path / "o" / "findings.json").exists()
    result = runner.invoke(app, ["anonymize", str(data), "-o", str(tmp_path / "a"), "--engine", "spark"])
    assert result.exit_code == 2 and "pyspark is not installed" in result.output


CUSTOM_ENTITIES = """version: 1
entities:
  EMPLOYEE_ID:
    level: 3
    category: identity
    pattern: "E\\\\d{7}"
    headers: [工号, emp_no]
    mask: {keep_first: 1, keep_last: 2}
"""


@pytest.fixture(scope="module")
def staff(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A CSV big enough to be split, with a custom entity under its header, without one, and in free text."""
    root = tmp_path_factory.mktemp("custom")
    data = root / "data"
    data.mkdir()
    lines = ["工号,code,备注,部门"]
    for i in range(1200):
        number, other = f"E{4_000_000 + 7919 * i:07d}", f"E{5_000_000 + 104_729 * i % 4_000_000:07d}"
        lines.append(f"{number},{other},请联系员工{number}处理,部门{i % 5}")
    (data / "staff.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    entities = root / "entities.yaml"
    entities.write_text(CUSTOM_ENTITIES, encoding="utf-8")
    return data, entities


def test_custom_entities_are_found_on_spark_as_locally(spark, staff: tuple[Path, Path], tmp_path: Path):
    data, entities = staff
    spec = spark_engine.spec_of(spark_engine.SparkScanner(MASTER).resolve([str(data)])[0][0])
    assert spark_engine.read_frame(spark, spec).rdd.getNumPartitions() > 1  # executors profile, the driver merges
    args = [str(data), "--full", "--entities", str(entities)]
    local = _scan(args, tmp_path / "local")
    on_spark = _scan([*args, "--engine", "spark", "--spark-master", MASTER], tmp_path / "spark")
    assert _comparable(on_spark) == _comparable(local)
    columns = {c["name"]: c for c in on_spark["datasets"][0]["columns"]}
    for name in ("工号", "code"):  # by header and values, and by values alone (what executors must see)
        assert columns[name]["primary_entity"] == "EMPLOYEE_ID", name
        assert next(e for e in columns[name]["entities"] if e["entity"] == "EMPLOYEE_ID")["matches"] > 0
    # the same (reused) Python workers, a scan without the file: the entity is gone again, as locally
    plain_local = _scan([str(data), "--full"], tmp_path / "plain-local")
    plain_spark = _scan([str(data), "--full", "--engine", "spark", "--spark-master", MASTER], tmp_path / "plain")
    assert _comparable(plain_spark) == _comparable(plain_local)
    assert not any(e["entity"] == "EMPLOYEE_ID" for c in plain_spark["datasets"][0]["columns"]
                   for e in c["entities"])


def test_custom_entities_are_anonymized_on_spark_as_locally(spark, staff: tuple[Path, Path], tmp_path: Path):
    data, entities = staff
    outs, _output = _anonymize_both(data, tmp_path, "--entities", str(entities))
    masked = (outs["spark"] / "staff.csv").read_text(encoding="utf-8")
    assert masked == (outs["local"] / "staff.csv").read_text(encoding="utf-8")
    assert "E*****19" in masked.splitlines()[2]  # the entity's own mask shape (keep_last 2), on the executors
    assert "E4007919" not in masked


def test_executors_refuse_entities_they_cannot_know(spark):
    """A driver entity defined in code only (not installed on the cluster) is one marked error, not a silent miss."""
    entities = spark_engine.WorkerEntities((), (*spark_engine.WorkerEntities.of_driver().names, "ACME_CUSTOMER"))
    frame = spark.createDataFrame([("x",)], "v string")
    spec = spark_engine.SparkSpec(path="-", format="csv", kind="columns", fill_empty=True)
    with pytest.raises(Exception) as caught:
        frame.mapInArrow(spark_engine.profile_partition(spec, {}, entities), spark_engine.PROFILE_SCHEMA).collect()
    assert spark_engine.one_line(caught.value) == (
        "the executors know other entities than the driver (missing ACME_CUSTOMER): install the same piiwarden "
        "and entity packages on the cluster")
