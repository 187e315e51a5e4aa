"""What a rater sees: Label Studio's labelling interface (its XML "label config") for each frame.

The taxonomy is the warehouse's (the seeds activity_taxonomy / challenge_taxonomy, read through
extract.annotations.files.taxonomy, the list the importer checks against), one multi-select choice
per label with its definition as the hover hint, plus :data:`NOT_ML_RELATED`.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

#: The choice that says the item is no model-management item at all (the study's relevance review):
#: it lands as the rater's sample review ``reject``, never as a label.
NOT_ML_RELATED = "not ML-related"
#: The Choices tag's name: the key of a rater's labels in an annotation's result.
CHOICES = "labels"

_COMMIT_FIELDS = """
  <Header value="$heading"/>
  <HyperText name="link" value="$link_html"/>
  <Header value="Commit message" size="5"/>
  <Text name="message" value="$message"/>
  <Header value="Changed paths ($file_count; * = model file)" size="5"/>
  <HyperText name="paths" value="$paths_html"/>
  <Header value="Model-file diff" size="5"/>
  <HyperText name="diff" value="$diff_html"/>"""

_ISSUE_FIELDS = """
  <Header value="$heading"/>
  <HyperText name="link" value="$link_html"/>
  <Header value="Title" size="5"/>
  <Text name="title" value="$title"/>
  <Header value="Body" size="5"/>
  <Text name="body" value="$body"/>
  <Header value="Labels, comments and linked pull requests" size="5"/>
  <HyperText name="context" value="$context_html"/>"""

_SUGGESTION = """
  <Header value="Suggestion (the label suggester, not a rater: pre-filled below, change it freely)" size="5"/>
  <Text name="suggestion" value="$suggestion"/>"""

_RATERS = """
  <Header value="The raters' labels (they disagree on this item)" size="5"/>
  <Text name="rater_labels" value="$rater_labels"/>"""

#: The object the choices are attached to, per frame.
ANCHOR = {"commits": "message", "issues": "body"}
_HEADINGS = {
    "commits": "Activities (Table 5): every one that applies, or not ML-related",
    "issues": "Challenges (Table 6): every one that applies, or not ML-related",
}


def label_config(frame: str, taxonomy: dict[str, str], adjudication: bool = False) -> str:
    """The interface for ``frame``: the item, the suggestion (rater rounds) or the raters' labels
    (adjudication), and one choice per label of ``taxonomy`` (name -> definition)."""
    fields = _COMMIT_FIELDS if frame == "commits" else _ISSUE_FIELDS
    choices = "\n".join(
        f"    <Choice value={quoteattr(name)} hint={quoteattr(definition or name)}/>"
        for name, definition in taxonomy.items()
    )
    return (
        "<View>"
        + fields
        + (_RATERS if adjudication else _SUGGESTION)
        + f"""
  <Header value={quoteattr(_HEADINGS[frame])}/>
  <Choices name="{CHOICES}" toName="{ANCHOR[frame]}" choice="multiple" showInLine="false" required="true">
{choices}
    <Choice value={quoteattr(NOT_ML_RELATED)} hint="No model-management item: the keyword matched something else (the sample replaces it)"/>
  </Choices>
</View>"""
    )
