"""Transcribe: transcripts scored with WER (never by eye): normalisation shown, alignments, worst cases, slices."""
from dataclasses import replace

import pandas as pd
import streamlit as st

from audiodiag import model_cards
from audiodiag.asr import normalisers, recognisers, references, transcript_checks, wer, word_errors
from audiodiag.data import sample_sets
from audiodiag.errors import AudioDiagError
from audiodiag.plots.wer import wer_histogram_figure
from audiodiag.settings import TranscriptionSettings
from audiodiag.verdict import notes, transcribe
from pages import _cache as cache
from pages import _data as data_ui
from pages import _display as display
from pages import _links as links

REQUEST_KEY = "transcribe_request"  # session_state: the settings of the last "Transcribe"
RUN_KEY = "transcribe_run"  # URL: 1 once results exist, so a link reopens them instead of asking to press Transcribe
LINKED = {"transcribe_model": recognisers.BUNDLED_ASR, "transcribe_second": "", "transcribe_beam": 1,
          "transcribe_temp": 0.0, "transcribe_language": "en", "transcribe_norm": "basic", "transcribe_labels": False,
          RUN_KEY: 0}
DECODING_KEYS = ("transcribe_beam", "transcribe_language", "transcribe_temp")
MAX_WORST = 20
REFS_KEY = "transcribe_refs"  # the reference-file uploader
KEPT_REFS = "_transcribe_refs_kept"  # session_state: [(name, bytes)] of the files it held, kept across page visits
MISSING = "—"  # shown for a value that does not exist (an empty reference has no WER), never "None" or "nan"
rate = wer.format_rate  # every WER and CER on this page is written as the note writes it
pct = wer.rate_percent  # tables: that rate as a number, so a column sorts by value and reads as the note
RATE = st.column_config.NumberColumn(format=wer.RATE_COLUMN_FORMAT)
SIGNED_RATE = st.column_config.NumberColumn(format=wer.SIGNED_RATE_COLUMN_FORMAT)
SECONDS = st.column_config.NumberColumn(format="%.2f")
CHARS_PER_S = st.column_config.NumberColumn("chars/s", format="%.1f", help=(
    f"reference characters per second of speech; expected {transcript_checks.MIN_CHARS_PER_S:g}–"
    f"{transcript_checks.MAX_CHARS_PER_S:g}, judged from {transcript_checks.MIN_JUDGED_S:g} s of speech"))
TOP_ERRORS = 20  # rows shown per word-level error table; the download has them all
# per error table: tab label, columns not shown (empty, or equal to count outside formatting)
ERROR_TABS = {"substitution": ("Substitutions", ("edits",)), "deletion": ("Deletions", ("hypothesis", "edits")),
              "insertion": ("Insertions", ("reference", "edits")), "formatting": ("Formatting", ())}
ERROR_COLUMNS = {"reference": "in the reference", "hypothesis": "in the transcript"}


def _check_linked_settings(fresh: list[str]) -> None:
    """Settings that came from a link are checked like a run would check them (a model name, beam and temperature
    ranges, language code): an invalid one is named once and replaced by its default, so the link still opens."""
    state = st.session_state
    try:
        recognisers.DecodingSettings(int(state["transcribe_beam"]), str(state["transcribe_language"]).strip().lower(),
                                     float(state["transcribe_temp"]))
    except AudioDiagError as e:
        if any(key in fresh for key in DECODING_KEYS):
            state.setdefault(links.LINK_PROBLEMS, []).append(
                f"{e}; using beam 1, temperature 0, language en")
            for key in DECODING_KEYS:
                state[key] = LINKED[key]
    if "transcribe_model" in fresh and not str(state["transcribe_model"]).strip():
        state.setdefault(links.LINK_PROBLEMS, []).append(f"transcribe_model is empty; using {recognisers.BUNDLED_ASR}")
        state["transcribe_model"] = LINKED["transcribe_model"]


st.title("Transcribe: WER you can trust")
st.caption("One impressive decoded example hides unstable overall behaviour: every clip is transcribed and scored, "
           "with the corpus WER, its confidence interval and the whole distribution.")
data = data_ui.dataset_picker("Transcribe")
display.show_failures(data.failures)
if not data.clips:
    st.info(data_ui.NO_CLIPS)
    st.stop()

fresh = [key for key in LINKED if key not in st.session_state]  # these start from the URL (a link) or defaults
links.linked_state(LINKED, allowed={"transcribe_norm": list(normalisers.names()), RUN_KEY: (0, 1)})
_check_linked_settings(fresh)

# ---------------------------------------------------------------- references
refs: list[str | None] = [None] * len(data.clips)
problems: list[str] = []
if data.name in sample_sets.list_sample_sets():
    refs = references.sample_set_references(data.name, data.clips)
    unmatched = references.folder_reference_problems(sample_sets.sample_set_dir(data.name), data.clips)
else:
    unmatched = []
if st.session_state.get("source") == data_ui.SOURCE_UPLOAD:  # a transcripts.csv or zip dropped in the sidebar
    found, sidebar_problems = references.references_from_files(st.session_state.get(data_ui.UPLOAD_KEY, []),
                                                               data.clips, skip_label_tables=True)
    refs = [r if f is None else f for r, f in zip(refs, found, strict=True)]
    problems += sidebar_problems


def _keep_uploaded_refs() -> None:
    """The uploader changed (files added or removed): remember its files, which Streamlit drops on a page visit."""
    st.session_state[KEPT_REFS] = [(f.name, f.getvalue()) for f in st.session_state.get(REFS_KEY) or []]


files = st.file_uploader("Reference transcripts: a CSV with columns path,reference[,group], `<clip stem>.txt` "
                         "files, or a zip of either", type=list(references.REFERENCE_EXTENSIONS),
                         accept_multiple_files=True, key=REFS_KEY, on_change=_keep_uploaded_refs)
kept_refs = [(f.name, f.getvalue()) for f in files] if files else st.session_state.get(KEPT_REFS, [])
if kept_refs and not files:
    st.caption("Using the reference files uploaded earlier in this session: "
               + ", ".join(display.md_escape(name) for name, _ in kept_refs) + ".")
    if st.button("Forget these reference files", key="transcribe_forget_refs"):
        st.session_state.pop(KEPT_REFS)
        st.rerun()
if kept_refs:
    found, page_problems = references.references_from_files(kept_refs, data.clips)
    refs = [r if f is None else f for r, f in zip(refs, found, strict=True)]
    problems += page_problems
if problems:  # one box per finding, listing every file it concerns
    st.error(f"{len(problems)} reference file(s) skipped:\n" + "\n".join(f"- {display.md_escape(p)}" for p in problems))
if unmatched:
    st.warning("\n".join(f"- {display.md_escape(p)}" for p in unmatched) if len(unmatched) > 1 else
               display.md_escape(unmatched[0]))
if any(c.label for c in data.clips) and st.checkbox(
        "The class labels are the transcripts (e.g. spoken digits)", key="transcribe_labels",
        help="Clips without a reference use their label. Digit labels ('7') match spoken words ('seven') only under "
             "the english normalisation, which writes numbers as digits."):
    refs = [c.label if r is None else r for c, r in zip(data.clips, refs, strict=True)]
n_refs = sum(r is not None for r in refs)
st.caption(f"{n_refs} of {len(data.clips)} clips have a reference transcript.")

# ---------------------------------------------------------------- settings
with st.form("transcribe_settings"):
    cols = st.columns(3)
    model = cols[0].text_input("ASR model (bundled, Hugging Face id or local folder)", key="transcribe_model",
                               help=f"'{recognisers.BUNDLED_ASR}' works offline (Whisper tiny.en, CTranslate2 "
                                    "int8). Others load from a local folder or the local Hugging Face cache.\n\n"
                                    + model_cards.picker_help([recognisers.BUNDLED_ASR], escape=display.md_escape))
    second = cols[0].text_input("Second system on the same clips (optional)", key="transcribe_second",
                                placeholder="a model id or folder: compared with a paired bootstrap")
    for name in (n.strip() for n in (model, second) if n.strip()):
        cols[0].caption(display.md_escape(model_cards.licence_line(name)))
    beam = cols[1].number_input("Beam size", 1, recognisers.MAX_BEAM_SIZE, key="transcribe_beam", help="1 = greedy")
    temperature = cols[1].number_input("Temperature", 0.0, recognisers.MAX_TEMPERATURE, step=0.1, key="transcribe_temp",
                                       help="0 = deterministic; no temperature fallback either way")
    language = cols[2].text_input("Language", key="transcribe_language",
                                  help="ISO code; the bundled tiny.en is English only")
    submitted = st.form_submit_button("Transcribe", type="primary")
# outside the form: the cached transcripts are rescored at once, no new transcription
norm = st.radio("Normalisation before scoring (changes the score, not the transcripts; applied at once)",
                list(normalisers.names()), key="transcribe_norm", horizontal=True,
                help="\n".join(f"- **{n.name}**: {n.help}" for n in normalisers.NORMALISATIONS.values()))
from_link = st.session_state.get(RUN_KEY) == 1 and REQUEST_KEY not in st.session_state  # a link to results
if submitted or from_link:
    try:
        st.session_state[REQUEST_KEY] = {"settings": TranscriptionSettings(
            model=model, beam=int(beam), temperature=float(temperature), language=language.strip().lower()),
            "second": second.strip()}
    except AudioDiagError as e:  # a settings error: the values above, not the data
        st.error(display.md_escape(str(e)))
        st.stop()
request = st.session_state.get(REQUEST_KEY)
if not request:
    st.query_params.pop(RUN_KEY, None)
links.link_to_url([key for key in LINKED if key != RUN_KEY], extra={RUN_KEY: 1} if request else None)
if not request:
    st.info("Press **Transcribe**. Transcripts are cached by audio content, model and decoding settings.")
    st.stop()

with display.long_step(f"Transcribing {len(data.clips)} clips ...", done=f"Transcribed {len(data.clips)} clips",
                       failed="Transcription could not run", expanded=True):  # open: its progress bar counts clips
    chosen: TranscriptionSettings = replace(request["settings"], normalisation=norm)
    settings = chosen.decoding
    settings_key = (settings.beam_size, settings.language, settings.temperature)
    hyps = cache.transcripts(data.clips, chosen.model, settings_key)
    decoding = cache.transcriber(chosen.model).decoding(settings)
display.show_cache_warnings()
hyps_b, decoding_b = None, ""
if request["second"]:
    try:
        with st.status("Transcribing with the second system ...", expanded=True) as status:
            hyps_b = cache.transcripts(data.clips, request["second"], settings_key)
            decoding_b = cache.transcriber(request["second"]).decoding(settings)
            status.update(label="Second system transcribed", state="complete", expanded=False)
    except AudioDiagError as e:
        st.error(f"Second system: {display.md_escape(str(e))}")
st.caption(display.md_escape(f"Model {chosen.model}: {decoding}. Audio downmixed to mono and resampled to the "
                             "model's rate (soxr)."))

measured = cache.analyse(data)
flags = wer.hallucination_flags([c.name for c in data.clips], hyps, [s.speech_fraction for s in measured.stats],
                                [c.duration_s for c in data.clips])
if flags:
    st.subheader("Possible hallucinations")
    st.warning(f"{len(flags)} transcript(s) may be invented text:\n" + "\n".join(
        f"- **{display.md_escape(name)}**: {display.md_escape(why)}" for name, why in flags))
transcript_findings = transcript_checks.reference_findings([c.name for c in data.clips], refs,
                                                           [s.speech_fraction for s in measured.stats],
                                                           [c.duration_s for c in data.clips])
if transcript_findings:
    st.subheader("Reference transcripts to check")
    st.warning(f"{len(transcript_findings)} reference transcript(s) are empty or far too fast or slow for the speech "
               f"in their clip (expected {transcript_checks.MIN_CHARS_PER_S:g}–"
               f"{transcript_checks.MAX_CHARS_PER_S:g} characters per second):\n" + "\n".join(
                   f"- {display.md_escape(f.message)}" for f in transcript_findings))

if n_refs == 0:
    st.warning("No reference transcripts: **no metric is possible** (no WER, no CER). Transcripts only below; add a "
               "CSV path,reference or `<stem>.txt` files above to score them.")
    only = pd.DataFrame({"file": [c.name for c in data.clips],
                         "duration (s)": [round(c.duration_s, 2) for c in data.clips], "transcript": hyps})
    display.show_table(only, placeholder=MISSING, wrap=("transcript",), column_config={"duration (s)": SECONDS})
    st.download_button("Download transcripts (CSV)", only.to_csv(index=False).encode(), "audiodiag_transcripts.csv",
                       mime="text/csv", key="transcribe_only_csv")
    st.stop()

# ---------------------------------------------------------------- headline
scored = [i for i, r in enumerate(refs) if r is not None]
clips = [data.clips[i] for i in scored]
ref_texts, hyp_texts = tuple(refs[i] for i in scored), tuple(hyps[i] for i in scored)
by_norm = {}
scoring = st.progress(0.0, text=f"Scoring {len(clips)} utterances ...")
try:
    for k, how in enumerate(normalisers.names()):  # the english normaliser's first use imports transformers
        scoring.progress(k / len(normalisers.names()), text=f"Scoring with '{how}' normalisation "
                                                           f"({k + 1} of {len(normalisers.names())})")
        by_norm[how] = cache.wer_scores(ref_texts, hyp_texts, how)
except AudioDiagError as e:
    scoring.empty()
    st.error(display.md_escape(str(e)))
    st.stop()
scoring.empty()
result = by_norm[norm]

st.subheader("Corpus WER")
m = st.columns(3) + st.columns(3)  # two rows: a CI range such as "5.6–28.7%" is never cut off
w = result.corpus_wer
m[0].metric("Corpus WER", rate(w.value), help="total edits / total reference words, over all utterances")
m[1].metric("95 % CI", f"{rate(w.ci_low)}–{rate(w.ci_high)}",
            help=f"percentile bootstrap over utterances ({wer.N_BOOT:,} resamples)")
m[2].metric("Mean per-utterance WER", rate(result.mean_utterance_wer),
            help="average of each utterance's WER: NOT the corpus WER (a 2-word utterance weighs as much as a "
                 "40-word one)")
m[3].metric("CER", rate(result.cer), help="character error rate over all utterances")
m[4].metric("Sub / Del / Ins", f"{result.substitutions} / {result.deletions} / {result.insertions}",
            help=f"of {result.reference_words} reference words")
st.caption(f"{len(clips) - len(result.empty_references)} utterances scored, {result.reference_words} reference "
           f"words, '{norm}' normalisation: {normalisers.get(norm).help}.")
if result.empty_references:  # one box for all of them
    st.warning(f"The reference is empty after '{norm}' normalisation for {len(result.empty_references)} "
               "utterance(s), so they have no WER and are left out of the corpus WER (fix the reference or remove "
               "the clip): " + ", ".join(f"**{display.md_escape(clips[i].name)}**" for i in result.empty_references))
display.show_table(pd.DataFrame({"normalisation": list(by_norm),  # rates as the note writes them (wer.format_rate)
                           "corpus WER": [pct(s.corpus_wer.value) for s in by_norm.values()],
                           "95 % CI low": [pct(s.corpus_wer.ci_low) for s in by_norm.values()],
                           "95 % CI high": [pct(s.corpus_wer.ci_high) for s in by_norm.values()],
                           "mean per-utterance WER": [pct(s.mean_utterance_wer) for s in by_norm.values()]}),
                   placeholder=MISSING, column_config={k: RATE for k in (
                       "corpus WER", "95 % CI low", "95 % CI high", "mean per-utterance WER")})
st.caption("\n".join(f"- **{n.name}**: {n.help}" for n in normalisers.NORMALISATIONS.values()))
with st.expander("Reference and hypothesis before and after normalisation"):
    display.show_table(pd.DataFrame({"file": [c.name for c in clips], "reference (as written)": ref_texts,
                               f"reference ({norm})": [u.reference for u in result.utterances],
                               "hypothesis (as written)": hyp_texts,
                               f"hypothesis ({norm})": [u.hypothesis for u in result.utterances]}),
                       placeholder=MISSING, wrap=("reference (as written)", f"reference ({norm})",
                                                  "hypothesis (as written)", f"hypothesis ({norm})"),
                       column_order=["file", f"reference ({norm})", f"hypothesis ({norm})",  # what WER scores first
                                     "reference (as written)", "hypothesis (as written)"])

# ---------------------------------------------------------------- per utterance
st.subheader("Every utterance")
flagged = {name for name, _ in flags}
checked = {f.files[0]: f.code.replace("_", " ") for f in transcript_findings}
table = pd.DataFrame({
    "file": [c.name for c in clips], "group": [c.group or "" for c in clips],
    "rate (Hz)": [c.original_sample_rate_hz for c in clips], "duration (s)": [round(c.duration_s, 2) for c in clips],
    "WER": result.wers, "sub": [u.substitutions for u in result.utterances],
    "del": [u.deletions for u in result.utterances], "ins": [u.insertions for u in result.utterances],
    "reference words": [u.reference_words for u in result.utterances],
    "chars/s": transcript_checks.chars_per_second(
        ref_texts, speech_s=transcript_checks.speech_seconds([measured.stats[i].speech_fraction for i in scored],
                                                             [c.duration_s for c in clips]),
        duration_s=[c.duration_s for c in clips]),
    "note": ["empty reference: no WER" if not u.reference_words else "hallucination flag" if c.name in flagged
             else checked.get(c.name, "") for c, u in zip(clips, result.utterances, strict=True)],
    "reference": [u.reference for u in result.utterances], "hypothesis": [u.hypothesis for u in result.utterances]})
rows = display.show_table(
    table.assign(WER=[pct(v) for v in table["WER"]]), wrap=("reference", "hypothesis", "note"),
    placeholder=MISSING, on_select="rerun", selection_mode="multi-row",
    key="transcribe_rows",
    column_order=[c for c in ("file", "WER", "reference", "hypothesis", "note", "group", "rate (Hz)", "duration (s)",
                              "sub", "del", "ins", "reference words", "chars/s")
                  if c != "group" or any(clip.group for clip in clips)],  # the texts first, in view
    column_config={"WER": RATE, "duration (s)": SECONDS, "chars/s": CHARS_PER_S})
st.download_button("Download (CSV)", table.to_csv(index=False).encode(), file_name="audiodiag_wer.csv",
                   mime="text/csv", key="transcribe_csv")
st.caption("Sort by WER (click its header) and tick rows (the box at a row's left) to listen to those utterances "
           "below, with their spectrograms and findings.")
display.show_selected_clips(clips, display.selected_rows(rows), findings=measured.clip_findings,
                            key="transcribe_rows", spectrogram=cache.spectrogram, title="Ticked utterances")
st.plotly_chart(wer_histogram_figure(result.wers, corpus_wer=w.value), width="stretch")

st.subheader("Worst utterances, aligned")
worst_max = min(MAX_WORST, len(clips))
links.linked_state({"transcribe_worst": min(3, worst_max)}, allowed={"transcribe_worst": range(1, worst_max + 1)})
worst_n = st.slider("How many", 1, worst_max, key="transcribe_worst") if len(clips) > 1 else 1
links.link_to_url(["transcribe_worst"])
st.caption("Yellow: substitution (reference → hypothesis); red, struck through: deletion; blue, +: insertion.")
order = sorted((i for i, u in enumerate(result.utterances) if u.reference_words),
               key=lambda i: (-result.utterances[i].wer, clips[i].name))[:worst_n]
for i in order:
    u = result.utterances[i]
    st.markdown(f"**{display.md_escape(clips[i].name)}**: WER {rate(u.wer)} ({u.errors} edits / "
                f"{u.reference_words} words)")
    display.play(clips[i])
    st.markdown(f'<div class="alignment" style="margin-bottom:1.2em">{wer.alignment_html(u)}</div>',
                unsafe_allow_html=True)

# ---------------------------------------------------------------- word-level errors
st.subheader("Word-level errors")
tables = word_errors.error_tables(result, names=[c.name for c in clips])
st.caption(f"The most frequent errors over all scored utterances ('{norm}' normalisation), top {TOP_ERRORS} of each "
           f"with up to {word_errors.MAX_EXAMPLES} example files. Numbers written in digits in one text and in words in the "
           "other (21 vs twenty one) are listed under **Formatting** instead of in the other three tables; their "
           "edits are still part of Sub / Del / Ins above and of the WER (the four tables add up to Sub + Del + Ins).")
tabs = st.tabs([f"{ERROR_TABS[kind][0]} ({sum(r.count for r in rows)})" for kind, rows in tables.tables().items()])
for kind, tab in zip(tables.tables(), tabs, strict=True):
    label, hidden = ERROR_TABS[kind]
    frame = tables.to_frame(kind, top=TOP_ERRORS).drop(columns=["kind", *hidden]).rename(columns=ERROR_COLUMNS)
    if kind == "formatting":
        tab.caption("Same number, digits vs words: a formatting difference, not a recognition error. count = places, "
                    "edits = the word edits they add to the WER. The 'english' normalisation writes numbers as "
                    "digits, so these disappear under it.")
    if frame.empty:
        tab.info(f"No {label.lower()}.")
    else:
        display.show_table(frame, where=tab, placeholder=MISSING, wrap=("examples",))
st.download_button("Download every word-level error (CSV)", tables.to_csv().encode(),
                   file_name="audiodiag_word_errors.csv", mime="text/csv", key="transcribe_errors_csv")

# ---------------------------------------------------------------- slices
st.subheader("WER by slice")
slice_values = tuple((name, tuple(values)) for name, values in wer.clip_slices(clips).items())
slices = cache.wer_slices(ref_texts, hyp_texts, norm, slice_values)
display.show_table(pd.DataFrame([{"slice": s.slice, "value": s.value, "utterances": s.utterances,
                            "reference words": s.reference_words, "corpus WER": pct(s.corpus_wer.value),
                            "95 % CI low": pct(s.corpus_wer.ci_low), "95 % CI high": pct(s.corpus_wer.ci_high)}
                           for s in slices]),
                   placeholder=MISSING, column_config={k: RATE for k in ("corpus WER", "95 % CI low", "95 % CI high")})

# ---------------------------------------------------------------- second system
if hyps_b is not None:
    st.subheader("Two systems on the same clips")
    hyp_b_texts = tuple(hyps_b[i] for i in scored)
    other = cache.wer_scores(ref_texts, hyp_b_texts, norm)
    comparison = cache.wer_comparison(ref_texts, hyp_texts, hyp_b_texts, norm)
    d = comparison.difference
    c2 = st.columns(2) + st.columns(2)  # "+1.2% to +5.6%" needs a wide column
    c2[0].metric("A: corpus WER", rate(w.value), help=chosen.model)
    c2[1].metric("B: corpus WER", rate(other.corpus_wer.value), help=request["second"])
    c2[2].metric("B − A", rate(d.value, signed=True), help="corpus WER difference; paired bootstrap over utterances")
    c2[3].metric("95 % CI of B − A", f"{rate(d.ci_low, signed=True)} to {rate(d.ci_high, signed=True)}")
    st.write(display.md_escape(f"A = {chosen.model}, B = {request['second']}: {comparison.verdict}. B has fewer "
                               f"errors on {comparison.b_better}, more on {comparison.b_worse} and the same on "
                               f"{comparison.same} utterances."))
    st.caption(display.md_escape(f"B decoding: {decoding_b}."))
    pairs = pd.DataFrame({"file": table["file"], "WER A": table["WER"], "WER B": other.wers,
                          "B − A": comparison.utterance_differences, "hypothesis A": table["hypothesis"],
                          "hypothesis B": [u.hypothesis for u in other.utterances]}
                         ).sort_values("B − A", ascending=False)  # by the numbers, then written as rates
    display.show_table(pairs.assign(**{"WER A": pairs["WER A"].map(pct), "WER B": pairs["WER B"].map(pct),
                                       "B − A": [pct(v) for v in pairs["B − A"]]}),
                       placeholder=MISSING, wrap=("hypothesis A", "hypothesis B"),
                       column_config={"WER A": RATE, "WER B": RATE, "B − A": SIGNED_RATE})

# ---------------------------------------------------------------- note
note = transcribe.transcription_decision(
    data.name, chosen.model, data.clips, refs, hyps, [s.speech_fraction for s in measured.stats],
    normalisation=norm, by_normalisation=by_norm, slices=slices,
    settings={**chosen.to_dict(), "decoding": decoding, "dataset": data.name,
              "cli": chosen.to_command_line(data.name)})
note = notes.with_input_problems(note, [f.message for f in data.failures] + unmatched + problems)
with st.expander("Decision note for this transcription task"):
    st.markdown(f"**{display.md_escape(note.verdict)}**")
    display.show_note_sections(note.to_dict()["sections"])
    st.download_button("Download the note (Markdown)", note.to_markdown(), file_name="transcription_note.md",
                       mime="text/markdown", key="transcribe_note_md")
    st.download_button("Download the note (JSON)", note.to_json(), file_name="transcription_note.json",
                       mime="application/json", key="transcribe_note_json")
