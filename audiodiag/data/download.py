"""Real datasets a user with internet can fetch in one command, pinned by content, cached on disk.

    python -m audiodiag samples --download fsdd     # then: python -m audiodiag report fsdd

Nothing here ships third-party audio: the files are fetched from the dataset's own public source at a pinned
commit, checked against the sha256 of their 16-bit samples (so a re-encoded container cannot slip through, and
a changed recording is refused), and written under the user's cache folder with an ATTRIBUTION.md beside them.
A downloaded set then appears next to the bundled ones (sidebar, CLI).
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from audiodiag.caches import CACHE_DIR_ENV, cache_root
from audiodiag.errors import BadParameterError, MissingDependencyError

DATASETS_SUBDIR = "datasets"
BASE_URL_ENV = "AUDIODIAG_DOWNLOAD_BASE_URL"  # a mirror (or a test server) serving the same relative paths
TIMEOUT_S = 30.0
COMPLETE_MARKER = ".complete"

Progress = Callable[[int, int], None]  # (files done, total)


@dataclass(frozen=True)
class RemoteDataset:
    name: str
    title: str
    base_url: str  # + the remote path of each file
    licence: str
    attribution: str  # Markdown, written to ATTRIBUTION.md beside the files
    files: dict = field(default_factory=dict)  # local path -> (remote path, label, group, sha256 of int16 samples)


FSDD_COMMIT = "26eb9aaf76e81b692f806f9140c2d2777410d7a1"
FSDD_SPEAKERS = ("george", "jackson", "nicolas", "theo", "yweweler")
FSDD_TAKES = (5, 6)  # FSDD's README reserves takes 0-4 for its test set
FSDD_SAMPLE_SHA256 = {  # sha256 of each recording's 16-bit samples (little-endian), at FSDD_COMMIT
    "0_george_5": "eb8f7599f4c06c3a40e1d3e6ded654cf2d19e9ef9aefa298974e58fe45574cc3",
    "0_george_6": "d08130e0783a869af895b361f7f7b01a2fd8331e09e858634e8f54f99b625379",
    "0_jackson_5": "fb8973cab5414318dd9f8d0f0b9d364ad273ae0702b6bc92e57d4fb0bdb998d4",
    "0_jackson_6": "b0d4dcbe66fcd99e7d780512078f29051ec9218d502540b835895256c8631e76",
    "0_nicolas_5": "27c9a8b667ac0ac9a27b73107742bedfb7b46b3c88e99b2472b01df5079c59fb",
    "0_nicolas_6": "314e56c1b434426a812f976a6d2a76817af49f9a61e414fd85bea791778fbad6",
    "0_theo_5": "b517f1781ec10071cc0dc4c72a9194c93979c0e2ba1d00b3b89d004084da407d",
    "0_theo_6": "40b1dc8df3525ba5881b9a74e72b25229ea6d82286fb06adfe8bedadf03ef232",
    "0_yweweler_5": "fda37fea0156e261fcf2f39d9dd1d5e50e3538ff05f62084a307deaae02b86d3",
    "0_yweweler_6": "84098238e747c9f28fee488245f2b0b79d16bae6e70bcaf9e8e0aaf9ad3e158d",
    "1_george_5": "56352e664d617ec5534f3f39c4891c57c5bd9c301a8ff184d5be43ebaf97dd27",
    "1_george_6": "fd6d3b39495d2d1772c5e3e9f61bb2ea816f38d2f8520e0e63b7edfa2cbb6ed2",
    "1_jackson_5": "27c5972556c563f4b48904840cf517ffbf7d4b803da8fd6a7ae821e17ae976da",
    "1_jackson_6": "a0a6776234320030f4139be0f5ea4f1efbe0804f985d809ba615807ac5db0e84",
    "1_nicolas_5": "88790290e7cbf5927faf662627f791999cf6813e7156e1badd7b3a21303e7115",
    "1_nicolas_6": "4aaf69ca24129c6b4c5ecaac724aabd70f2dd5c77675e61ae4d86ec0d6730cb2",
    "1_theo_5": "3183db84044616873938e42d879bf4f4510adb4a8b63e455ed81b8373b0124f2",
    "1_theo_6": "6479e21543782c1cb66948fcb15e7d0c58d25fc4e9819d5abbbf508e851e0836",
    "1_yweweler_5": "02cc8df43c9e169a8b630642cb7ba6e096fb1c4f0dc97d7061553b0dcab3ffc7",
    "1_yweweler_6": "fd54a8c18012c5d94cb8b87670d1e1dce2b14b7bf1c1f2ef9b45b767f126ffa8",
    "2_george_5": "9d0b55d2403e8921d2a09f2fe3adc9d0bf06d11623bf98578473f1997456b5d3",
    "2_george_6": "cc97aab98b30591892fe8cf4f7078625e7cca6a3bd85d20445a3672539da842e",
    "2_jackson_5": "fec273913cdc40d8a823f0bd7847c49dee474bb929b0df5d96993d1c8587a3c1",
    "2_jackson_6": "e9924846266702a1a2574488f954063777213ff89e93c9b88e82a20a5a3d6d0f",
    "2_nicolas_5": "d8ac522725c489a26998a7cd5716d370b9c68e0a314f29b1175d05756f5d4494",
    "2_nicolas_6": "bb1748a42804791fe3dfaf9601627f08035013bb15659fb2971d24afc472364c",
    "2_theo_5": "ef29dae73923624ec8973068bd76bb32574186e978f2d09b9ef36c9dd7a67325",
    "2_theo_6": "7545e1bbfad01123d0929351bbb41c2100a1d53905e645d4db15f82ed1691e0f",
    "2_yweweler_5": "cccbc9f84047523d0d90105f94c2a0f616e86f7a5d453e98728ce003c684e6a4",
    "2_yweweler_6": "e64fa79ce8357faa9d4d99ab782cf8ee1cb9f3ed9af67038a772207355bb8498",
    "3_george_5": "237f6a905413332db2d19f06ecd673998236f562e8818bc08177e80bc285ae86",
    "3_george_6": "ffb9798313986ccaedc045f660712a31448bb1fe8e1cdd52112f5d558a601122",
    "3_jackson_5": "fb28004eb90cca55ca358207087ecaea46c407eee2c2f2b8d066363b57c150bb",
    "3_jackson_6": "40467a8b5a19c064227aa667e615dfe179996969f9c3f4057c9fbbfc89c20981",
    "3_nicolas_5": "827fdf369f984b8ac906176d781451cbd62993fced57ea1a9ca125c9dddb533d",
    "3_nicolas_6": "24a626787548bb1e37b20f60521f2025c7e6eae87308ffd1ef31c1c7dd60bdb1",
    "3_theo_5": "0c5298ce006fcdca29835cb8de4cf0ad52aa38f2c37132b5085009591f43e6f8",
    "3_theo_6": "904128d913e25dd75e1c9673505cf3122013794da516a3f01cbc0209bf9f275e",
    "3_yweweler_5": "0143fb1c98fec1b2843be57d6015e0b57ecd845529c9d15ca017e6f097e3e50b",
    "3_yweweler_6": "2d0940390e3612c51dd19cc2ec1111bad9aa6e0a43bd149f9e880bc8042bbb28",
    "4_george_5": "26fee0f125ccb071ce65fc6128db0d27111ec6cfd620f3ab9cce34b422dbab4d",
    "4_george_6": "0f9cb43446d980396b01a2ea26c1a4cc3df6ccf5c246d2faac059aae6ab945ea",
    "4_jackson_5": "5a256e70527cc517d38ea7675b42162a5ecc7b0e65e30cefccaf7eaf2806fa90",
    "4_jackson_6": "b3f7fa1f6740cb4fd28e7e5bfbe9d65fb6f11422d8e06db659e9702f4e3443e4",
    "4_nicolas_5": "8c24e0762d40361c64b04b3e8923e82425fd5bc79ae48f07d6169af265b90918",
    "4_nicolas_6": "4dfe9da72c50a7413778d2be172ce732994b70157bc5ea3b36ce43248d9488bb",
    "4_theo_5": "164f707e30765e0e09c16746c2d0ceab21ceaebeb1a68142fbf0bd51569a4957",
    "4_theo_6": "3c2e7a47dcf0351e2eb5c00560ce61cd68f5c6cc079e6b75cf999312471bba46",
    "4_yweweler_5": "f13c6ff2ec4be009ac6aa95d306e9445f0fdf2c8190927ff410b5eeaa4eaa498",
    "4_yweweler_6": "2505aad543ab19331f6559c9804e269667b9558e34438283671f504308d9bf2d",
    "5_george_5": "6a962aecf5efb5957b9c649a0f054d86f34e2aa85845366cd487400bcd7eb26a",
    "5_george_6": "81a4b0c53bea8fb691e5a542a5badb5bd81132eb02c922a6665835570c28c963",
    "5_jackson_5": "36c7fa75f935218589ad800283064b02c21a5d0cde8367884c5ff2f640c53761",
    "5_jackson_6": "7a2f42d728f1df90260a36f9826c260830bc162d09102e1bd6e6dc773110220c",
    "5_nicolas_5": "1557124c03c1a88fe487ec369aaa5c58494863523fa49836de1943aab0892eaa",
    "5_nicolas_6": "d98690ba51910c851c3f9fea9ad949945864933891e40958077531df33b5ba03",
    "5_theo_5": "009460a967765322e306d744a543da0826eb918e5453db22f1dd5502dae74851",
    "5_theo_6": "f6e80aedab6c9a096e139d8bd90a6fd67c5ac9f0d96ca3f5627761cffa800b14",
    "5_yweweler_5": "5ddea7dd3887d8ab79e5c045a4401dd9e5530ff89723e4b345609caf5d644232",
    "5_yweweler_6": "a3107740ea2cd7868ad2c2b3236ef042a7567d2d24e874a62eb3dc495b480e87",
    "6_george_5": "5f728d8bbb8f6ff14026108fe1095f51fc29a703e50ee02b8b7eddaa038be4f7",
    "6_george_6": "9940cc255f2544103bc8d0c1e03ebb6fd54b16991b7cc1a2f5342e0f6def4704",
    "6_jackson_5": "27a64f02bf245d92022fdfe11fe8cdf85975ebdd11a2deb1338858d697f31139",
    "6_jackson_6": "5fd092cd0dd9eb0640a38cd9ddf0e5857df4ed2fcce2a38da6108bc66b634251",
    "6_nicolas_5": "6dcb7690a9f5c6b7c6e4e62c0774b4d5c0ac942c72a5b6df98b87db6e92692dd",
    "6_nicolas_6": "2f09c9ca94610f562671754ce4cd424ef89b885bbf5dfaf50368feede90863a2",
    "6_theo_5": "04e2703c443108caec99f2702ff059cfbce2329ca015b699e60869ef45fc63b0",
    "6_theo_6": "302522548bf81a1e92faee5aac2974e74ba17c4c134a75e803b786bb42d1887a",
    "6_yweweler_5": "7c6c6821015798fee2d89902e12375cf76235567ecdb886c14945b43c8d023b2",
    "6_yweweler_6": "9662bf81f84e52f6580dae25d939ad9b7985688c82b916ed8f6803f3724f30e6",
    "7_george_5": "c9ad5efbecd0d201cf81c289e8bc53bb6c7091457c21c78a01fe8749ae0ad2bf",
    "7_george_6": "ba6e1d84b42dc88a90e3da4b947a164f60b01869697ff352596a7ce0bc555372",
    "7_jackson_5": "31c50c5707e354a2e60065b62602bce81b6d2f6eec8b7a2621d404bc8bf6b8a0",
    "7_jackson_6": "7c8c385515dfb582cd54d156bdc1905c0f774313301ae9fe9f354098bd037679",
    "7_nicolas_5": "767308e40ca24ac759b22bb9a67a546da9f0fedde40c9adf1fe5b5db99f4134e",
    "7_nicolas_6": "fde668952ae13222cd4e5f1890d3f4dd4ade88ff3e225396e0232b202fcfff53",
    "7_theo_5": "4c1be9cfc0e56d67c141b22dd22a3c94507fa4b195b1de712383c1176309f841",
    "7_theo_6": "23cbf9e56970923c4ba6a1c2cba6047d05f7f23c3adf6cbb7fe288d6f5252956",
    "7_yweweler_5": "4e5c6c85127f4548471656c6b9dd52cccc05ff9ac43294c92f21dbf13f1f7fcc",
    "7_yweweler_6": "c46e0cd58a082f2c6a46a3558268c96b50ec7792d5507c621d4a096114e29ca4",
    "8_george_5": "ede68389818b64e597c17cebee67ca92c4a81a8bfce20c75666ad4bd571b19dd",
    "8_george_6": "6465decdc62173f9a59d535a1341bf4ee88576ea5dea47c684dd544d980226e4",
    "8_jackson_5": "f3d9cc54493def8c9142982dbfa88d4668ea0be6d9b649d9e037ba3f776e1937",
    "8_jackson_6": "9962778b4978db905eb9736867c2c0c7af92ab66d25b8f881c97fc43d1373b8f",
    "8_nicolas_5": "ac943a8a9a7540a3a88a8741b5e9454eb78913ae1ad3c769eee7746bd2d6013f",
    "8_nicolas_6": "bb734871352debf7b7f801eb4df4dd9059409b6d6b5f2abe1832a21c8d7ff0e0",
    "8_theo_5": "c16ef5cd4747d0c62725f32a552eb06f6b6bc543a9daf08aa3902181009a6360",
    "8_theo_6": "ba11c333cc18f5ed26f0075a1a6f824b3841b4069129f55950a4d20d708c1c7e",
    "8_yweweler_5": "d916f27b2fbaea5bdb68b09d957f7621851e7863d124e8e8d96c8c688075ed1b",
    "8_yweweler_6": "4b7485eb70d132ae0c907cd25c4dc21a49383de49b6b9548e81290ec7e14318b",
    "9_george_5": "10e1c1b3281c56da8719eacae502fdfc00b062ee86eb4d9d2d05602e7f9b21b5",
    "9_george_6": "2dbb8f2f6dd01a2575eecb7a832d945eb7e7cfd45698d4fa62c219b193531df3",
    "9_jackson_5": "57f3421d7b518311f9f5f0a14da88c605f6a6e55108b1e0bad747f00a731f391",
    "9_jackson_6": "0b8c9beb53a1327aa85debfa07f6247ed5a54c2fccfee84f963b118f444d349f",
    "9_nicolas_5": "4b5beb51842bde17429941f390105e522cee26cdb92aef2407103596d131122a",
    "9_nicolas_6": "2aff1ccea7e2c6a57e5f01a9951ee94d1c3d04dddd6e6a60181055ac63c2739c",
    "9_theo_5": "b64f3a667a5d58e02787dc04106e693bca747537a3669fae135ab375f1f044d9",
    "9_theo_6": "a3bfa3238d2fae38bb5562564403a1f93197401892d75e0ac29f2579b3c0a3ee",
    "9_yweweler_5": "86544f82b3e3ede85ca18a553d9c8896c3fc50a0d8df5a70ecc1ff2cbec73c4d",
    "9_yweweler_6": "80feb9d0d6677b22c9b0fd36b2d90739a5c08e900ed35e1bcee6be9d8f935464",

}
FSDD = RemoteDataset(
    name="fsdd",
    title="Free Spoken Digit Dataset: digits 0-9 by 5 speakers, 2 takes each (100 real recordings, 8 kHz)",
    base_url=f"https://raw.githubusercontent.com/Jakobovski/free-spoken-digit-dataset/{FSDD_COMMIT}/",
    licence="CC BY-SA 4.0",
    attribution=f"""# Free Spoken Digit Dataset (downloaded by audiodiag)

Source: Free Spoken Digit Dataset (FSDD), <https://github.com/Jakobovski/free-spoken-digit-dataset>, commit
`{FSDD_COMMIT}`, by Zohar Jackson (Jakobovski) and contributors; recordings by the speakers
{", ".join(FSDD_SPEAKERS)}. Licence: **CC BY-SA 4.0** (https://creativecommons.org/licenses/by-sa/4.0/).
The files are the unchanged recordings `recordings/<digit>_<speaker>_<take>.wav` (takes {FSDD_TAKES[0]} and
{FSDD_TAKES[1]}), stored as `<digit>/<speaker>_<take>.wav`; `groups.csv` has `path,label,speaker`. Each file's
16-bit samples were checked against a pinned sha256.
""",
    files={f"{d}/{s}_{t}.wav": (f"recordings/{d}_{s}_{t}.wav", str(d), s, FSDD_SAMPLE_SHA256[f"{d}_{s}_{t}"])
           for d in range(10) for s in FSDD_SPEAKERS for t in FSDD_TAKES},
)
REMOTE_DATASETS = {FSDD.name: FSDD}


def datasets_dir(cache_dir: str | Path | None = None) -> Path:
    """Where downloaded datasets live: `cache_dir`, else $AUDIODIAG_CACHE_DIR, else ~/.cache/audiodiag; + datasets/."""
    return cache_root(cache_dir) / DATASETS_SUBDIR


def downloaded_sets(cache_dir: str | Path | None = None) -> dict[str, Path]:
    """{name: folder} of the datasets whose download completed."""
    root = datasets_dir(cache_dir)
    return {name: root / name for name in REMOTE_DATASETS if (root / name / COMPLETE_MARKER).is_file()}


def sample_sha256(data: bytes) -> str:
    """sha256 of a WAV file's samples as 16-bit little-endian integers (the container's header is ignored)."""
    samples, _ = sf.read(io.BytesIO(data), dtype="int16", always_2d=True)
    return hashlib.sha256(np.ascontiguousarray(samples).astype("<i2").tobytes()).hexdigest()


def download(name: str, *, cache_dir: str | Path | None = None, base_url: str | None = None,
             progress: Progress | None = None) -> Path:
    """Fetch a dataset (files already there and intact are kept) and return its folder.

    Raises AudioDiagError naming every file that could not be fetched or did not match its pinned hash; the
    files that did are kept, so a second call fetches only what is missing.
    """
    if name not in REMOTE_DATASETS:
        raise BadParameterError(f"unknown dataset {name!r}; downloadable: {', '.join(REMOTE_DATASETS)}")
    spec = REMOTE_DATASETS[name]
    base = base_url or os.environ.get(BASE_URL_ENV) or spec.base_url
    folder = datasets_dir(cache_dir) / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BadParameterError(f"cannot create {folder} ({e}); set {CACHE_DIR_ENV} to a writable folder") from e
    (folder / COMPLETE_MARKER).unlink(missing_ok=True)
    problems = []
    for i, (local, (remote, _, _, digest)) in enumerate(sorted(spec.files.items())):
        target = folder / local
        if not (target.is_file() and _intact(target.read_bytes(), digest)):
            problem = _fetch(base.rstrip("/") + "/" + remote, target, digest)
            if problem:
                problems.append(f"{local}: {problem}")
        if progress:
            progress(i + 1, len(spec.files))
    _write_tables(spec, folder)
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise MissingDependencyError(f"{name}: {len(problems)} of {len(spec.files)} files could not be downloaded from "
                                     f"{base} ({shown}); the {len(spec.files) - len(problems)} others are in {folder}. "
                                     "Check the connection (or a proxy) and run the same command again")
    (folder / COMPLETE_MARKER).write_text(base + "\n", encoding="utf-8")
    return folder


def _intact(data: bytes, digest: str) -> bool:
    try:
        return sample_sha256(data) == digest
    except (sf.LibsndfileError, RuntimeError, ValueError):
        return False


def _fetch(url: str, target: Path, digest: str) -> str | None:
    """Download one file to `target` after checking it; returns what went wrong, or None."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:  # noqa: S310 - https or a test mirror
            data = response.read()
    except (urllib.error.URLError, OSError, ValueError) as e:
        return f"could not fetch {url} ({getattr(e, 'reason', e)})"
    if not _intact(data, digest):
        return f"{url} does not match its pinned sha256 (a changed or corrupt recording); not saved"
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, target)
    return None


def _write_tables(spec: RemoteDataset, folder: Path) -> None:
    with (folder / "groups.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["path", "label", "speaker"])
        writer.writerows([local, label, group] for local, (_, label, group, _) in sorted(spec.files.items()))
    (folder / "ATTRIBUTION.md").write_text(spec.attribution, encoding="utf-8")
