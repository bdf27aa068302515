"""The demo's sample content: its gallery's look, six statements, and three videos to try "add" with.

Every text says it is an example: none of it is a statement of a real person.
"""

from __future__ import annotations

from ...vimeo.standin import FakeVideo

DEMO_TITLE = "Herz einschalten – Rassismus ausschalten"
DEMO_INTRO = (
    "Menschen aus der Region sagen, was sie gegen Rassismus und Diskriminierung tun – "
    "und warum.\n\nDies ist eine Demo: Alle Statements sind Beispiele mit Platzhaltertexten. "
    "Sie geben keine Aussagen realer Personen wieder."
)
# A town's own look: its colour (6.3:1 on white) and its logo (gallery/cli/demo/media/logo.png).
DEMO_ACCENT = "#0b6e4f"
DEMO_LOGO_ALT = "Beispielstadt – Videostatements"
_TRANSCRIPT = (
    "[Beispieltext – keine echte Abschrift]\n\n"
    "Sprecherin: Hier steht in der echten Galerie die vollständige Abschrift des Videos, "
    "Wort für Wort, mit Angaben zu Sprecherwechseln und wichtigen Geräuschen. So können alle "
    "den Inhalt lesen – auch ohne das Video von Vimeo zu laden.\n\n"
    "[Musik endet]"
)


def sample_videos() -> list[tuple[FakeVideo, dict[str, str]]]:
    """Sample videos for the stand-in and the texts an editor would add to them."""
    samples = [
        (
            "Beispiel-Statement 1: Hinsehen statt wegsehen",
            "Beispielperson A",
            "Schülerin (Beispiel)",
            84,
            "sample1.jpg",
            None,
            False,
        ),
        (
            "Beispiel-Statement 2: Gemeinsam im Verein",
            "Beispielperson B",
            "Trainer im Sportverein (Beispiel)",
            121,
            "sample2.webp",
            None,
            False,
        ),
        (
            "Beispiel-Statement 3: Worte haben Gewicht",
            "Beispielperson C",
            "Mitarbeiterin der Verwaltung (Beispiel)",
            67,
            "sample3.jpg",
            "3f9a6c0e2b",
            False,
        ),
        (
            "Beispiel-Statement 4: Nachbarschaft",
            "Beispielperson D",
            "Nachbarschaftshilfe (Beispiel)",
            143,
            "sample4.webp",
            None,
            False,
        ),
        (
            "Beispiel-Statement 5: Zuhören",
            "Beispielperson E",
            "Pflegekraft (Beispiel)",
            98,
            "sample5.jpg",
            None,
            False,
        ),
        (
            "",
            "Beispielperson F",
            "Ehrenamtliche (Beispiel, eingeschränktes Video)",
            75,
            "sample6.png",
            None,
            True,
        ),
    ]
    result = []
    for n, (title, speaker, role, duration, picture, unlisted, restricted) in enumerate(samples, start=1):
        video = FakeVideo(
            vimeo_id=900_000_000 + n,
            title=title or f"Beispiel-Statement {n}",
            author_name="Stand-in",
            duration=duration,
            picture=picture,
            unlisted_hash=unlisted,
            restricted=restricted,
        )
        texts = {
            "speaker_name": speaker,
            "speaker_role": role,
            "quote": f"„Platzhalterzitat {n}: Hier steht, was die Person in ihrem Statement sagt. "
            "Ein zweiter Satz führt den Gedanken weiter.“ (Beispieltext)",
            "transcript": _TRANSCRIPT,
            "alt_text": f"Beispielbild {n}: ein weißes Herz auf farbigem Grund",
        }
        result.append((video, texts))
    return result


def videos_to_add() -> list[FakeVideo]:
    """Videos the stand-in knows but the demo does not show: an editor can try "add" with them."""
    return [
        FakeVideo(900_000_007, "Beispiel-Statement 7: Zivilcourage", duration=112, picture="sample2.webp"),
        FakeVideo(900_000_008, "Beispiel-Statement 8: Stadt für alle", duration=89, picture="sample5.jpg"),
        FakeVideo(
            900_000_009,
            "Beispiel-Statement 9: Nicht gelistet",
            duration=71,
            picture="sample1.jpg",
            unlisted_hash="7c1d2e3f4a",
        ),
    ]


def video_link(video: FakeVideo) -> str:
    """The Vimeo link an editor would paste (with the share hash of an unlisted video)."""
    return f"https://vimeo.com/{video.vimeo_id}" + (f"/{video.unlisted_hash}" if video.unlisted_hash else "")


# The demo's second town, on its own host name: its own title, colour and statements (no logo: its name).
SECOND_TOWN_KEY = "moelln"
SECOND_TOWN_NAME = "Mölln"
SECOND_TOWN_HOST = "moelln.localhost"
FIRST_TOWN_HOST = "ratzeburg.localhost"
SECOND_TITLE = "Mölln zeigt Gesicht (Beispiel)"
SECOND_INTRO = (
    "Stimmen aus Mölln gegen Rassismus – eine zweite Stadt auf derselben Installation, mit eigenen "
    "Statements, eigenen Farben und eigenen Rechtstexten.\n\nDies ist eine Demo: Alle Statements "
    "sind Beispiele mit Platzhaltertexten."
)
SECOND_ACCENT = "#7a1f5c"


def second_town_videos() -> list[tuple[FakeVideo, dict[str, str]]]:
    """The second town's own sample videos (ids of its own) and their texts."""
    samples = [
        ("Mölln-Beispiel 1: Erinnern", "Beispielperson M", "Lehrer (Beispiel)", 91, "sample3.jpg"),
        ("Mölln-Beispiel 2: Ankommen", "Beispielperson N", "Lotsin (Beispiel)", 77, "sample4.webp"),
        ("Mölln-Beispiel 3: Am Markt", "Beispielperson O", "Händler (Beispiel)", 105, "sample5.jpg"),
    ]
    result = []
    for n, (title, speaker, role, duration, picture) in enumerate(samples, start=1):
        video = FakeVideo(
            vimeo_id=900_000_100 + n, title=title, author_name="Stand-in", duration=duration, picture=picture
        )
        texts = {
            "speaker_name": speaker,
            "speaker_role": role,
            "quote": f"„Mölln-Platzhalterzitat {n}: Was diese Person in Mölln gegen Rassismus tut.“ "
            "(Beispieltext)",
            "transcript": _TRANSCRIPT,
            "alt_text": f"Mölln-Beispielbild {n}: ein weißes Herz auf farbigem Grund",
        }
        result.append((video, texts))
    return result
