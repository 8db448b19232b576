"""Email templates in English and Russian: a subject, a plain-text body and an HTML body."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from api.notification.preferences import Unsubscribe


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    one_click_unsubscribe: str | None = None  # the List-Unsubscribe address, for team emails
    link: str = ""  # the call to action (often token-bearing: kept out of stored bodies)


# Each template: subject, greeting paragraph(s), the call to action, and a closing note.
TEMPLATES: dict[str, dict[str, dict[str, str]]] = {
    "verify_email": {
        "en": {
            "subject": "Confirm your email for Fairview",
            "body": "Hi {name},\n\nPlease confirm that {email} is your email address.",
            "action": "Confirm email",
            "footer": "The link works for {hours} hours. If you did not sign up, ignore this email.",
        },
        "ru": {
            "subject": "Подтвердите адрес почты в Fairview",
            "body": "Здравствуйте, {name}!\n\nПодтвердите, что адрес {email} принадлежит вам.",
            "action": "Подтвердить адрес",
            "footer": "Ссылка действует {hours} ч. Если вы не регистрировались, просто "
            "проигнорируйте это письмо.",
        },
    },
    "signup_exists": {
        "en": {
            "subject": "Someone tried to create a Fairview account with your email",
            "body": "Hi {name},\n\nSomeone (perhaps you) tried to create a new Fairview account "
            "with {email}. You already have one, so nothing was created.\n\nForgot your "
            "password? Choose a new one at {forgot}",
            "action": "Log in",
            "footer": "If it was not you, you can ignore this email: your account is unchanged.",
        },
        "ru": {
            "subject": "Кто-то пытался создать аккаунт Fairview с вашим адресом",
            "body": "Здравствуйте, {name}!\n\nКто-то (возможно, вы) пытался создать новый аккаунт "
            "Fairview с адресом {email}. Аккаунт с этим адресом уже есть, поэтому ничего не "
            "создано.\n\nЗабыли пароль? Задайте новый: {forgot}",
            "action": "Войти",
            "footer": "Если это были не вы, просто проигнорируйте письмо: ваш аккаунт не изменился.",
        },
    },
    "reset_password": {
        "en": {
            "subject": "Reset your Fairview password",
            "body": "Hi {name},\n\nSomeone (hopefully you) asked to reset the password of {email}.",
            "action": "Choose a new password",
            "footer": "The link works once, for {hours} hour(s). If you did not ask for it, "
            "ignore this email: your password stays as it is.",
        },
        "ru": {
            "subject": "Сброс пароля в Fairview",
            "body": "Здравствуйте, {name}!\n\nКто-то (надеемся, вы) запросил сброс пароля для "
            "{email}.",
            "action": "Задать новый пароль",
            "footer": "Ссылка одноразовая и действует {hours} ч. Если вы не запрашивали сброс, "
            "проигнорируйте письмо: пароль не изменится.",
        },
    },
    "team_invitation": {
        "en": {
            "subject": "{inviter} invited you to {organization} on Fairview",
            "body": "Hello,\n\n{inviter} invited you to join {organization} on Fairview as {role}.",
            "action": "Accept the invitation",
            "footer": "The invitation expires in {days} days.",
        },
        "ru": {
            "subject": "{inviter} приглашает вас в {organization} на Fairview",
            "body": "Здравствуйте!\n\n{inviter} приглашает вас в команду {organization} на "
            "Fairview с ролью «{role}».",
            "action": "Принять приглашение",
            "footer": "Приглашение действует {days} дн.",
        },
    },
}

TEMPLATES["candidate_invitation"] = {
    "en": {
        "subject": "Your interview with {organization}: {interview}",
        "body": "Hi {name},\n\n{organization} invites you to a one-way interview for "
        "{interview}. You answer the questions in your browser, whenever suits you{deadline}. "
        "You can practise first, and you will see how it works before anything is recorded.",
        "action": "Start the interview",
        "footer": "This link is personal: please do not share it.",
    },
    "ru": {
        "subject": "Ваше интервью с {organization}: {interview}",
        "body": "Здравствуйте, {name}!\n\n{organization} приглашает вас на видеоинтервью "
        "на позицию «{interview}». Вы отвечаете на вопросы в браузере в удобное время{deadline}. "
        "Сначала можно потренироваться и посмотреть, как всё устроено, — до записи.",
        "action": "Начать интервью",
        "footer": "Ссылка персональная: пожалуйста, не пересылайте её.",
    },
}

TEMPLATES["candidate_reminder"] = {
    "en": {
        "subject": "Reminder: your interview with {organization} ({interview}) closes soon",
        "body": "Hi {name},\n\nYour one-way interview for {interview} with {organization} is"
        " open until {deadline}. If you have started, you continue where you left off.",
        "action": "Continue the interview",
        "footer": "This link replaces the one in earlier emails. It is personal: please do not"
        " share it.",
    },
    "ru": {
        "subject": "Напоминание: интервью с {organization} («{interview}») скоро закроется",
        "body": "Здравствуйте, {name}!\n\nВаше видеоинтервью на позицию «{interview}» с"
        " {organization} открыто до {deadline}. Если вы уже начали, продолжите с того же места.",
        "action": "Продолжить интервью",
        "footer": "Эта ссылка заменяет ссылку из прежних писем. Она персональная: пожалуйста, не"
        " пересылайте её.",
    },
}

TEMPLATES["candidate_completed"] = {
    "en": {
        "subject": "Thank you: your interview for {interview} is complete",
        "body": "Hi {name},\n\n{organization} has received all your answers for {interview}."
        " The hiring team reviews them and will contact you about the next steps.\n\nPeople"
        " make every decision; an automatic transcript or evaluation only helps them read.",
        "action": "Your data and how AI is used",
        "footer": "This link is yours: on its page you can read what the AI evaluates and what it"
        " never does, ask for a review by people only or an accommodation, and ask"
        " {organization} for a copy of your data or for its deletion. Do not forward it.",
    },
    "ru": {
        "subject": "Спасибо: интервью на позицию «{interview}» завершено",
        "body": "Здравствуйте, {name}!\n\n{organization} получила все ваши ответы на интервью"
        " «{interview}». Команда их посмотрит и свяжется с вами о следующих шагах.\n\nВсе"
        " решения принимают люди; автоматическая расшифровка или оценка лишь помогает им.",
        "action": "Ваши данные и как используется ИИ",
        "footer": "Это ваша личная ссылка: на её странице описано, что оценивает ИИ и чего он"
        " никогда не делает; там можно попросить, чтобы ответы смотрели только люди, или"
        " попросить об особых условиях, а также запросить у {organization} копию ваших данных"
        " или их удаление. Не пересылайте её.",
    },
}

TEMPLATES["candidate_erased"] = {
    "en": {
        "subject": "Your data has been deleted: {interview} at {organization}",
        "body": "Hello,\n\nAs you asked, {organization} has deleted your data from the interview"
        " {interview} on {when}. This is your receipt:\n\n{items}\n\nWhat remains holds"
        " nothing about you: counts for statistics, and a record that the deletion happened."
        " Integrations connected to Fairview were told to delete their copies.",
        "action": "",
        "footer": "After this email is sent, your email address is deleted too.",
    },
    "ru": {
        "subject": "Ваши данные удалены: «{interview}», {organization}",
        "body": "Здравствуйте!\n\nПо вашему запросу {organization} удалила ваши данные"
        " интервью «{interview}» {when}. Подтверждение:\n\n{items}\n\nОсталось только то, что"
        " ничего о вас не говорит: счётчики для статистики и запись о том, что удаление"
        " выполнено. Подключённым системам отправлено указание удалить свои копии.",
        "action": "",
        "footer": "После отправки этого письма ваш адрес тоже будет удалён.",
    },
}

TEMPLATES["candidate_completed_team"] = {
    "en": {
        "subject": "{candidate} completed {interview}",
        "body": "Hi {name},\n\n{candidate} has finished the interview {interview}. Transcripts"
        " and evaluations appear on the candidate's page as soon as they are ready.",
        "action": "Review the answers",
        "footer": "You get this email because you follow this interview (you can stop on its"
        " page).",
    },
    "ru": {
        "subject": "{candidate} завершил(а) интервью «{interview}»",
        "body": "Здравствуйте, {name}!\n\n{candidate} прошёл(а) интервью «{interview}»."
        " Расшифровки и оценки появятся на странице кандидата, как только будут готовы.",
        "action": "Посмотреть ответы",
        "footer": "Вы получили это письмо, потому что следите за этим интервью (это можно"
        " отключить на его странице).",
    },
}

TEMPLATES["evaluation_ready"] = {
    "en": {
        "subject": "Evaluation ready: {candidate} for {interview}",
        "body": "Hi {name},\n\nEvery answer {candidate} gave for {interview} is transcribed"
        " and evaluated against its rubric, and the summary across answers is ready. The"
        " evaluation is advisory: the evidence is quoted from the transcript so that you can check"
        " it, and the decision is yours.",
        "action": "Review the evaluation",
        "footer": "You get this email because you follow this interview (you can stop on its"
        " page).",
    },
    "ru": {
        "subject": "Оценка готова: {candidate}, «{interview}»",
        "body": "Здравствуйте, {name}!\n\nВсе ответы кандидата {candidate} на интервью"
        " «{interview}» расшифрованы и оценены по критериям, итог по ответам готов. Оценка носит"
        " рекомендательный характер: доказательства процитированы из расшифровки, чтобы их можно"
        " было проверить, а решение принимаете вы.",
        "action": "Посмотреть оценку",
        "footer": "Вы получили это письмо, потому что следите за этим интервью (это можно"
        " отключить на его странице).",
    },
}

TEMPLATES["share_confirmation"] = {
    "en": {
        "subject": "Confirm your email to open the candidates shared by {organization}",
        "body": "Hello,\n\n{organization} shared candidates of the interview {interview} with"
        " {email}. Someone (hopefully you) asked to open them: confirm that this address is"
        " yours.",
        "action": "Confirm and open",
        "footer": "The link works once, for {minutes} minutes, in the browser you open it in."
        " If you did not ask for it, ignore this email: nothing is shown without it.",
    },
    "ru": {
        "subject": "Подтвердите адрес, чтобы открыть кандидатов от {organization}",
        "body": "Здравствуйте!\n\n{organization} поделилась кандидатами интервью «{interview}»"
        " с адресом {email}. Кто-то (надеемся, вы) хочет их открыть: подтвердите, что это ваш"
        " адрес.",
        "action": "Подтвердить и открыть",
        "footer": "Ссылка одноразовая, действует {minutes} мин. в том браузере, где вы её"
        " откроете. Если вы ничего не запрашивали, проигнорируйте письмо: без неё ничего не"
        " показывается.",
    },
}

UNSUBSCRIBE = {"en": "Turn these emails off", "ru": "Отписаться от таких писем"}

ROLE_NAMES = {
    "en": {"owner": "owner", "admin": "admin", "recruiter": "recruiter", "reviewer": "reviewer"},
    "ru": {
        "owner": "владелец",
        "admin": "администратор",
        "recruiter": "рекрутер",
        "reviewer": "ревьюер",
    },
}


TEMPLATES["webhook_disabled"] = {
    "en": {
        "subject": "A Fairview webhook endpoint was disabled",
        "body": "Deliveries to {url} kept failing for more than a day, so Fairview stopped"
        " sending to it. The failed deliveries are kept: fix the endpoint, enable it again and"
        " redeliver them from the Webhooks page.",
        "action": "Open webhooks",
        "footer": "You get this email as an owner of the organization.",
    },
    "ru": {
        "subject": "Адрес вебхука Fairview отключён",
        "body": "Доставка на {url} не удавалась больше суток, поэтому Fairview перестал"
        " отправлять туда события. Неудачные доставки сохранены: исправьте адрес, включите его"
        " снова и повторите доставку на странице «Вебхуки».",
        "action": "Открыть вебхуки",
        "footer": "Вы получили это письмо как владелец организации.",
    },
}


def render(
    template: str,
    locale: str,
    link: str,
    unsubscribe: Unsubscribe | None = None,
    logo: str | None = None,
    **context: Any,
) -> Rendered:
    """``logo``: the interview's brand logo (https), shown atop candidates' emails."""
    texts = TEMPLATES[template].get(locale) or TEMPLATES[template]["en"]
    if "role" in context:
        context["role"] = ROLE_NAMES.get(locale, ROLE_NAMES["en"]).get(
            context["role"], context["role"]
        )
    subject = texts["subject"].format(**context)
    body = texts["body"].format(**context)
    action = texts["action"]
    footer = texts["footer"].format(**context)
    call = f"{action}: {link}\n\n" if link else ""  # an email without a link has no button
    opt_out = UNSUBSCRIBE.get(locale, UNSUBSCRIBE["en"])
    text = f"{body}\n\n{call}{footer}\n\n— Fairview\n"
    if unsubscribe:
        text += f"\n{opt_out}: {unsubscribe.page}\n"
    paragraphs = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in body.split("\n\n"))
    button = (
        f'<p><a href="{escape(link, quote=True)}" style="display:inline-block;background:#2f5bea;'
        'color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none">'
        f"{escape(action)}</a></p>"
        if link
        else ""
    )
    plain = f'<p style="color:#6b7280;font-size:13px">{escape(link)}</p>' if link else ""
    if unsubscribe:
        plain += (
            f'<p style="color:#6b7280;font-size:13px"><a style="color:#6b7280"'
            f' href="{escape(unsubscribe.page, quote=True)}">{escape(opt_out)}</a></p>'
        )
    brand = (
        f'<p><img src="{escape(logo, quote=True)}" alt="{escape(context.get("organization", ""))}"'
        ' style="max-height:48px;max-width:200px"></p>'
        if logo
        else ""
    )
    html = (
        '<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#1f2937;'
        'max-width:560px;margin:auto;padding:24px">'
        f"{brand}{paragraphs}{button}"
        f'<p style="color:#6b7280;font-size:13px">{escape(footer)}</p>{plain}'
        "</body></html>"
    )
    return Rendered(subject, text, html, unsubscribe.one_click if unsubscribe else None, link)
