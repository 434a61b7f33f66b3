import subprocess
import sys

from bot.nlu.spacy_pipeline import build_pipeline


def test_pipeline_is_built_from_repo_files_wherever_the_process_starts(tmp_path) -> None:
    # The server may be started from any folder: nothing may depend on the current directory.
    script = (
        "from bot.nlu.spacy_pipeline import build_pipeline;"
        "print([e.ent_id_ for e in build_pipeline()('区域经理和AM').ents])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "['regional_manager', 'account_manager']"


def test_pipeline_is_a_blank_chinese_jieba_pipeline_with_an_entity_ruler() -> None:
    nlp = build_pipeline()
    assert nlp.lang == "zh"
    assert nlp.pipe_names == ["entity_ruler"]
    assert nlp.tokenizer.segmenter == "jieba"
