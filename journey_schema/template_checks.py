"""A template that is wrong fails validation, never a customer's inbox or phone.

For each template a version sends, in the order the steps use it, and for every channel
of each step's preference list (a message may go out on any of them):

- it exists, with the parts of each of those channels (email: subject, html, txt; sms:
  sms; push: push_title, push) for the journey's default locale, and every other locale it
  has is complete for them too;
- every file parses and uses only the names templates are given (`rendering.context`),
  partials (`_*.html`, `_*.txt`) included, and includes only files that exist
  (template_source: found in the source, so in every branch);
- every locale renders in the one sandboxed, strict environment, with a full sample cart
  and with a minimal one (no first name, no images, no product links);
- offers: a step with `coupon:` renders its template with a sample coupon; with
  `on_coupon_failure: send_without` also without one (`coupon` is None then). A step
  without an offer never has a coupon, so its template must not use `coupon` at all;
- email: the HTML part carries the open pixel, so `wait_for: {opened: ...}` can ever fire,
  and both the HTML and the text part carry the unsubscribe link;
- sms: the text, with the opt-out line it is sent with, fits in the version's
  `sms_max_segments`. Every SMS part's length is reported, too long or not, so the check
  can show it. SMS and push are rendered with short links as long as the ones they are
  sent with: the deployment's `public_url` when the caller knows it, else
  `tracking.short_links.STAND_IN_PUBLIC_URL`.

A problem is reported at the first step that sends the template on the channel concerned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from journey_schema.errors import JourneyError
from journey_schema.models import COUPON_EXAMPLE
from journey_schema.suggestions import closest
from journey_schema.template_source import source_problems
from journey_schema.templates_used import parts_for_channels
from rendering.context import message_context, sample_cart, sample_links, sample_live
from rendering.environment import create_environment
from rendering.links import MessageLinks
from rendering.locales import language_of, normalize_locale
from rendering.message import (
    ALL_PARTS,
    CHANNEL_PARTS,
    RenderError,
    TemplateMissing,
    missing_parts,
    render_message,
    render_parts,
    template_locales,
    template_path,
)
from rendering.sms import SmsSegments, sms_segments, with_opt_out
from tracking.short_links import sample_short_url
from workflows.payloads import Channel


@dataclass(frozen=True)
class SendUse:
    """A send step (by path) that renders this template on one of these channels."""

    path: str
    template: str
    channels: tuple[Channel, ...] = (Channel.EMAIL,)
    coupon: bool = False  # the step offers a coupon: rendered with one
    without_coupon: bool = True  # it may go without one (no offer, or send_without)


@dataclass
class TemplateReport:
    """What checking a version's templates found."""

    problems: list[JourneyError] = field(default_factory=list)
    # Each SMS part ("nudge/tr.sms") with its longest sample rendering, opt-out included.
    sms_lengths: dict[str, SmsSegments] = field(default_factory=dict)


def template_problems(
    file: Path,
    sends: list[SendUse],
    default_locale: str,
    templates: dict[str, str],
    *,
    sms_max_segments: int = 3,
    public_url: str | None = None,
) -> TemplateReport:
    """`public_url`: the deployment's, for the length of SMS links; None: a stand-in."""
    report = TemplateReport()
    if not sends:
        return report
    environment = create_environment(templates)
    partial_problems = [
        JourneyError(file, None, text)
        for path in sorted(templates)
        if path.startswith("_")
        for text in source_problems(environment, path)
    ]
    report.problems += partial_problems
    uses: dict[str, dict[Channel, str]] = {}  # template -> channel -> first step sending it
    # template -> (channel, with a coupon) -> first step rendering it so
    cases: dict[str, dict[tuple[Channel, bool], str]] = {}
    plain: dict[str, dict[Channel, str]] = {}  # template -> channel -> first step without offer
    send_without = {use.path for use in sends if use.coupon and use.without_coupon}
    for use in sends:
        for channel in use.channels:
            uses.setdefault(use.template, {}).setdefault(channel, use.path)
            for coupon, rendered in ((True, use.coupon), (False, use.without_coupon)):
                if rendered:
                    cases.setdefault(use.template, {}).setdefault((channel, coupon), use.path)
            if not use.coupon:
                plain.setdefault(use.template, {}).setdefault(channel, use.path)
    for template, channels in uses.items():
        check = _TemplateCheck(
            environment=environment,
            templates=templates,
            template=template,
            channels=channels,
            default_locale=default_locale,
            sms_max_segments=sms_max_segments,
            short_link=sample_short_url(public_url),
            report=report,
            file=file,
            cases=cases[template],
            plain=plain.get(template, {}),
            send_without=send_without,
        )
        check.run(partials_broken=bool(partial_problems))
    return report


@dataclass
class _TemplateCheck:
    environment: SandboxedEnvironment
    templates: dict[str, str]
    template: str
    channels: dict[Channel, str]  # each channel the template is sent on -> first step path
    default_locale: str
    sms_max_segments: int
    short_link: str  # what SMS and push carry for each link, at its real length
    report: TemplateReport
    file: Path
    cases: dict[tuple[Channel, bool], str] = field(default_factory=dict)
    plain: dict[Channel, str] = field(default_factory=dict)  # steps without an offer
    send_without: set[str] = field(default_factory=set)  # paths of send_without steps

    def problem(self, step: str, text: str) -> None:
        self.report.problems.append(JourneyError(self.file, step, text))

    def run(self, *, partials_broken: bool) -> None:
        first_step = next(iter(self.channels.values()))
        parts = parts_for_channels(self.channels)
        if not template_locales(self.templates, self.template, tuple(ALL_PARTS)):
            self.problem(first_step, _no_such_template(self.template, self.templates))
            return
        locales = template_locales(self.templates, self.template, parts)
        default = normalize_locale(self.default_locale)
        if default not in locales and language_of(default) not in locales:
            language = language_of(default)
            self.problem(
                first_step,
                f"template {self.template!r} has no {language!r} version, the journey's "
                f"default locale: add {_file_list(self.template, language, parts)}",
            )
        complete: list[tuple[str, Channel]] = []
        for locale in sorted(locales):
            for channel, step in self.channels.items():
                channel_parts = CHANNEL_PARTS[channel]
                missing = missing_parts(self.templates, self.template, locale, channel_parts)
                if missing:
                    self.problem(
                        step, f"template {self.template!r} is missing {', '.join(missing)}"
                    )
                else:
                    complete.append((locale, channel))
        source_broken = False
        for locale, channel in complete:
            for part in CHANNEL_PARTS[channel]:
                path = template_path(self.template, locale, part)
                for text in source_problems(self.environment, path):
                    source_broken = True
                    self.problem(self.channels[channel], text)
        if source_broken or partials_broken:
            return  # rendering would only repeat the same causes
        if self.coupon_without_offer(complete):
            return  # rendering without a coupon would only fail on it
        for locale, channel in complete:
            for coupon in (True, False):
                at = self.cases.get((channel, coupon))
                if at is None:
                    continue
                said_without = not coupon and at in self.send_without
                for text in self.render_problems(locale, channel, coupon=coupon):
                    self.problem(at, _without_coupon(text) if said_without else text)

    def coupon_without_offer(self, complete: list[tuple[str, Channel]]) -> bool:
        """A step without an offer never has a coupon: its template must not use one."""
        for locale, channel in complete:
            step = self.plain.get(channel)
            if step is None:
                continue
            for part in CHANNEL_PARTS[channel]:
                used_in = self.file_using_coupon(template_path(self.template, locale, part))
                if used_in is not None:
                    self.problem(
                        step,
                        f"template {used_in} uses `coupon`, but this step offers none, so "
                        f"there is never a code to show: add e.g. `{COUPON_EXAMPLE}` to the "
                        "send step, or take coupon out of the template",
                    )
                    return True
        return False

    def file_using_coupon(self, path: str, seen: frozenset[str] = frozenset()) -> str | None:
        """The file (this one, or one it includes or extends) that uses `coupon`, if any."""
        source = self.templates.get(path)
        if source is None or path in seen:
            return None
        tree = self.environment.parse(source)
        if "coupon" in meta.find_undeclared_variables(tree):
            return path
        for node in tree.find_all((nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport)):
            named = getattr(node, "template", None)
            if isinstance(named, nodes.Const) and isinstance(named.value, str):
                found = self.file_using_coupon(named.value, seen | {path})
                if found is not None:
                    return found
        return None

    def render_problems(self, locale: str, channel: Channel, *, coupon: bool = False) -> list[str]:
        """Render with the full and the minimal sample cart (with a sample coupon for a step
        with an offer); check what each channel needs."""
        sms_lengths: list[SmsSegments] = []
        linked = False  # whether the SMS carries a link (its length is then ours, not theirs)
        for minimal in (False, True):
            cart = sample_cart(locale, minimal=minimal)
            email = channel == Channel.EMAIL
            links = sample_links(cart, short_link=None if email else self.short_link)
            context = message_context(
                cart, links, sample_live(cart, coupon=coupon, minimal=minimal)
            )
            try:
                if email:
                    problems = self.email_problems(locale, context, links)
                    if problems:
                        return problems
                    continue
                parts = render_parts(
                    channel=channel.value,
                    templates=self.templates,
                    template=self.template,
                    locale=locale,
                    default_locale=self.default_locale,
                    context=context,
                    environment=self.environment,
                )
            except (RenderError, TemplateMissing) as exc:
                return [f"template {_plain(str(exc))}"]
            if channel == Channel.SMS:
                text = with_opt_out(parts.parts["sms"], language_of(locale))
                sms_lengths.append(sms_segments(text))
                linked = linked or self.short_link in text
        return self.sms_problems(locale, sms_lengths, linked=linked) if sms_lengths else []

    def email_problems(
        self, locale: str, context: dict[str, Any], links: MessageLinks
    ) -> list[str]:
        """The open pixel (HTML) and the unsubscribe link (HTML and text) are rendered."""
        rendered = render_message(
            templates=self.templates,
            template=self.template,
            locale=locale,
            default_locale=self.default_locale,
            context=context,
            environment=self.environment,
        )
        html = template_path(self.template, locale, "html")
        problems = []
        if links.open_pixel_url and links.open_pixel_url not in rendered.html:
            problems.append(
                f"template {html} does not include the open pixel: extend "
                '"_layout.html", or add <img src="{{ open_pixel_url }}" width="1" height="1" '
                'alt="">'
            )
        if links.unsubscribe_url and links.unsubscribe_url not in rendered.html:
            problems.append(
                f"template {html} does not include the unsubscribe link: extend "
                '"_layout.html", or add <a href="{{ unsubscribe_url }}">Unsubscribe</a>'
            )
        if links.unsubscribe_url and links.unsubscribe_url not in rendered.text:
            problems.append(
                f"template {template_path(self.template, locale, 'txt')} does not include the "
                "unsubscribe link: add a line such as Unsubscribe: {{ unsubscribe_url }} "
                '(the shipped templates {% include "_unsubscribe.txt" %})'
            )
        return problems

    def sms_problems(self, locale: str, lengths: list[SmsSegments], *, linked: bool) -> list[str]:
        """Record the longest sample text; refuse it if over the version's limit."""
        longest = max(lengths, key=lambda length: (length.segments, length.characters))
        path = template_path(self.template, locale, "sms")
        self.report.sms_lengths[path] = longest
        if longest.segments <= self.sms_max_segments:
            return []
        included = "opt-out line"
        if linked:  # a marketer sees {{ checkout_url }}, not the link it becomes
            included += f" and {len(self.short_link)}-character links"
        return [
            f"template {path}: {longest}, {included} included; "
            f"at most {self.sms_max_segments} (sms_max_segments)"
        ]


def _without_coupon(text: str) -> str:
    return (
        f"{text} (rendered without a coupon: with on_coupon_failure: send_without the "
        "message goes out without one when no code can be made; show the coupon inside "
        "{% if coupon %} ... {% endif %})"
    )


def _file_list(template: str, language: str, parts: tuple[str, ...]) -> str:
    """`reminder/en.subject, .html and .txt`"""
    names = [f"{template}/{language}.{parts[0]}", *(f".{part}" for part in parts[1:])]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


# What StrictUndefined says when rendering finds what the source check could not see
# (`{% set c = customer %}{{ c.frist_name }}`), in the words of the other messages.
_NO_ATTRIBUTE = re.compile(r"undefined: '(\w+) object' has no attribute '(\w+)'")
_NO_NAME = re.compile(r"undefined: '(\w+)' is undefined")
_KINDS = {"dict": "keys with values", "str": "text", "list": "a list", "int": "a number"}


def _plain(text: str) -> str:
    def attribute(match: re.Match[str]) -> str:
        kind = _KINDS.get(match.group(1), match.group(1))
        return f"unknown variable: {match.group(2)!r} is not part of this value ({kind})"

    text = _NO_ATTRIBUTE.sub(attribute, text)
    return _NO_NAME.sub(lambda match: f"unknown variable {match.group(1)!r}", text)


def _no_such_template(template: str, templates: dict[str, str]) -> str:
    """`template 'still' does not exist; did you mean 'still_thinking'? The templates are ...`"""
    names = sorted({path.split("/", 1)[0] for path in templates if "/" in path})
    if not names:
        return f"template {template!r} does not exist: there are no templates yet"
    match = closest(template, names)
    listed = ", ".join(names)
    if match:
        return (
            f"template {template!r} does not exist; did you mean {match!r}? "
            f"The templates are {listed}"
        )
    return f"template {template!r} does not exist; the templates are {listed}"
