"""Transcribe: transcripts scored with WER (never by eye): normalisation shown, alignments, worst cases, slices."""
import pandas as pd
import plotly.express as px
import streamlit as st

from audiodiag import asr, references, report, samples, wer
from audiodiag.errors import AudioDiagError
from pages import _common as common

REQUEST_KEY = "transcribe_request"
MAX_WORST = 20

st.title("Transcribe: WER you can trust")
data = common.dataset_picker()
common.show_failures(data.failures)
if not data.clips:
    st.info(common.NO_CLIPS)
    st.stop()

# ---------------------------------------------------------------- references
if data.name in samples.list_sample_sets():
    refs = references.sample_set_references(data.name, data.clips)
else:
    refs = [None] * len(data.clips)
upload = st.file_uploader("Reference transcripts (CSV with columns path,reference[,group])", type=["csv"],
                          key="transcribe_refs")
if upload is not None:
    try:
        table = references.parse_table(upload.getvalue(), name=upload.name)
        refs = [r if m is None else m for r, m in zip(refs, references.match(data.clips, table))]
    except AudioDiagError as e:
        st.error(common.md_escape(str(e)))
if any(c.label for c in data.clips) and st.checkbox("The class labels are the transcripts (e.g. spoken digits)",
                                                     key="transcribe_labels"):
    refs = [c.label if r is None else r for c, r in zip(data.clips, refs)]
n_refs = sum(r is not None for r in refs)
st.caption(f"{n_refs} of {len(data.clips)} clips have a reference transcript.")

# ---------------------------------------------------------------- settings
common.linked_state({"transcribe_model": asr.BUNDLED_ASR, "transcribe_norm": "basic", "transcribe_beam": 1},
                    allowed={"transcribe_norm": list(wer.NORMALISATIONS)})
with st.form("transcribe_settings"):
    cols = st.columns(4)
    model = cols[0].text_input("ASR model (bundled, Hugging Face id or local folder)", key="transcribe_model",
                               help=f"'{asr.BUNDLED_ASR}' works offline (Whisper tiny.en, CTranslate2 int8).")
    second = cols[0].text_input("Second system on the same clips (optional)", key="transcribe_second")
    beam = cols[1].number_input("Beam size", 1, 10, key="transcribe_beam")
    temperature = cols[1].number_input("Temperature", 0.0, 1.0, 0.0, 0.1, key="transcribe_temp")
    norm = cols[2].radio("Normalisation before scoring", list(wer.NORMALISATIONS), key="transcribe_norm",
                         help="none: as written; basic: lower case, no punctuation; english: Whisper's English "
                              "normaliser (numbers, contractions, titles).")
    worst_n = cols[3].slider("Worst utterances to show", 1, MAX_WORST, 3, key="transcribe_worst")
    if st.form_submit_button("Transcribe", type="primary"):
        st.session_state[REQUEST_KEY] = {"model": model.strip(), "second": second.strip(), "beam": int(beam),
                                         "temperature": float(temperature)}
request = st.session_state.get(REQUEST_KEY)
common.link_to_url(["transcribe_model", "transcribe_norm", "transcribe_beam"])
if not request:
    st.info("Press **Transcribe**. Transcripts are cached by audio content, model and decoding settings.")
    st.stop()

settings = (request["beam"], "en", request["temperature"])
try:
    with st.status("Transcribing ...", expanded=False) as status:
        hyps = common.transcripts(data.clips, request["model"], settings)
        hyps_b = common.transcripts(data.clips, request["second"], settings) if request["second"] else None
        status.update(label="Transcribed", state="complete")
except AudioDiagError as e:
    st.error(common.md_escape(str(e)))
    st.stop()
st.caption(common.md_escape(f"Model {request['model']}; beam {request['beam']}, temperature "
                            f"{request['temperature']:g}, language en; audio resampled to 16 kHz mono (soxr)."))

measured = common.analyse(data)
speech = [s.speech_fraction for s in measured.stats]
flags = wer.hallucination_flags([c.name for c in data.clips], hyps, speech)
if flags:
    st.subheader("Possible hallucinations")
    for name, why in flags:
        st.warning(f"**{common.md_escape(name)}**: {common.md_escape(why)}")

if n_refs == 0:
    st.warning("No reference transcripts: **no metric is possible**. Transcripts only below; add a CSV "
               "path,reference to score them.")
    st.dataframe(pd.DataFrame({"file": [c.name for c in data.clips], "transcript": hyps}), hide_index=True)
    st.stop()

scored = [i for i, r in enumerate(refs) if r is not None]
clips = [data.clips[i] for i in scored]
result = wer.score([refs[i] for i in scored], [hyps[i] for i in scored], normalisation=norm)

# ---------------------------------------------------------------- headline
st.subheader("Corpus WER")
m = st.columns(5)
w = result.corpus_wer
m[0].metric("Corpus WER", f"{w.value:.1%}", help="total edits / total reference words")
m[1].metric("95 % CI", f"{w.ci_low:.0%}–{w.ci_high:.0%}", help="bootstrap over utterances (1,000 resamples)")
m[2].metric("Mean per-utterance WER", f"{result.mean_utterance_wer:.1%}",
            help="average of each utterance's WER: NOT the corpus WER (short utterances weigh as much as long)")
m[3].metric("CER", f"{result.cer:.1%}")
m[4].metric("Sub / Del / Ins", f"{result.substitutions} / {result.deletions} / {result.insertions}",
            help=f"of {result.reference_words} reference words")
for i in result.empty_references:
    st.warning(f"**{common.md_escape(clips[i].name)}**: the reference is empty after normalisation, so it has no "
               "WER; it is left out of the corpus WER (fix the reference or remove the clip).")
by_norm = {how: wer.score([refs[i] for i in scored], [hyps[i] for i in scored], normalisation=how).corpus_wer
           for how in wer.NORMALISATIONS}
st.dataframe(pd.DataFrame({"normalisation": list(by_norm), "corpus WER": [f"{e.value:.1%}" for e in by_norm.values()],
                           "95 % CI": [f"{e.ci_low:.1%} – {e.ci_high:.1%}" for e in by_norm.values()]}),
             hide_index=True)
with st.expander("Reference and hypothesis before and after normalisation"):
    st.dataframe(pd.DataFrame({"file": [c.name for c in clips], "reference (as written)": [refs[i] for i in scored],
                               "reference (normalised)": [u.reference for u in result.utterances],
                               "hypothesis (as written)": [hyps[i] for i in scored],
                               "hypothesis (normalised)": [u.hypothesis for u in result.utterances]}),
                 hide_index=True)

# ---------------------------------------------------------------- per utterance
st.subheader("Every utterance")
table = pd.DataFrame({
    "file": [c.name for c in clips], "group": [c.group for c in clips],
    "rate (Hz)": [c.original_sample_rate_hz for c in clips], "duration (s)": [round(c.duration_s, 2) for c in clips],
    "WER": [u.wer for u in result.utterances], "sub": [u.substitutions for u in result.utterances],
    "del": [u.deletions for u in result.utterances], "ins": [u.insertions for u in result.utterances],
    "reference words": [u.reference_words for u in result.utterances],
    "reference": [u.reference for u in result.utterances], "hypothesis": [u.hypothesis for u in result.utterances]})
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"WER": st.column_config.NumberColumn(format="percent")})
st.download_button("Download (CSV)", table.to_csv(index=False).encode(), file_name="audiodiag_wer.csv",
                   mime="text/csv", key="transcribe_csv")
st.plotly_chart(px.histogram(table, x="WER", nbins=20, title="Per-utterance WER: the distribution, not one example")
                .update_layout(height=300), width="stretch")

st.subheader("Worst utterances, aligned")
st.caption("Yellow: substitution (reference → hypothesis); red, struck through: deletion; blue, +: insertion.")
order = table["WER"].fillna(-1).sort_values(ascending=False).index[:worst_n]
for i in order:
    u = result.utterances[i]
    st.markdown(f"**{common.md_escape(clips[i].name)}** — WER {u.wer:.0%} ({u.errors} edits / "
                f"{u.reference_words} words)")
    common.play(clips[i])
    st.markdown(f'<div class="alignment">{wer.alignment_html(u)}</div>', unsafe_allow_html=True)

# ---------------------------------------------------------------- slices
st.subheader("WER by slice")
table["duration bucket"] = [wer.duration_bucket(c.duration_s) for c in clips]
table["errors"] = [u.errors for u in result.utterances]
rows = []
for column in ("group", "rate (Hz)", "duration bucket"):
    for value, part in table.groupby(column, dropna=False):
        words = part["reference words"].sum()
        rows.append({"slice": column, "value": str(value), "utterances": len(part),
                     "corpus WER": part["errors"].sum() / words if words else None})
st.dataframe(pd.DataFrame(rows), hide_index=True,
             column_config={"corpus WER": st.column_config.NumberColumn(format="percent")})

if hyps_b is not None:
    st.subheader("Two systems on the same clips")
    other = wer.score([refs[i] for i in scored], [hyps_b[i] for i in scored], normalisation=norm)
    diff = wer.paired_difference(result, other)
    verdict = ("better" if diff.ci_high < 0 else "worse" if diff.ci_low > 0 else "not distinguishable")
    st.write(common.md_escape(f"{request['second']}: corpus WER {other.corpus_wer.value:.1%} vs "
                              f"{result.corpus_wer.value:.1%}; difference {diff.value:+.1%} (paired bootstrap 95 % CI "
                              f"{diff.ci_low:+.1%} to {diff.ci_high:+.1%}): {verdict}."))
    st.dataframe(pd.DataFrame({"file": table["file"], "WER A": table["WER"],
                               "WER B": [u.wer for u in other.utterances],
                               "B − A": [ub.wer - ua.wer for ua, ub in zip(result.utterances, other.utterances)]}),
                 hide_index=True)

# ---------------------------------------------------------------- note
note = report.transcription_note(
    data.name, request["model"], result, audio_minutes=sum(c.duration_s for c in clips) / 60, flags=flags,
    slices=[f"{r['slice']} = {r['value']}: corpus WER {r['corpus WER']:.1%} ({r['utterances']} utterances)"
            for r in rows if r["corpus WER"] is not None],
    settings={"model": request["model"], "beam_size": request["beam"], "temperature": request["temperature"],
              "normalisation": norm, "dataset": data.name})
with st.expander("Decision note for this transcription task"):
    st.markdown(f"**{common.md_escape(note.verdict)}**")
    for section in note.sections:
        st.markdown(f"**{section.title}**\n" + "\n".join(f"- {common.md_escape(line)}" for line in section.lines))
    st.download_button("Download the note (Markdown)", note.to_markdown(), file_name="transcription_note.md",
                       mime="text/markdown", key="transcribe_note_md")
    st.download_button("Download the note (JSON)", note.to_json(), file_name="transcription_note.json",
                       mime="application/json", key="transcribe_note_json")
