//! What organizers and guests need on the day: the attendee list and its
//! API, exports read back by Python, check-in through the QR link, pages
//! that ask before destructive actions, online events whose join link
//! only confirmed guests see, blank reminders, and the page language.

use mail_parser::MimeHeaders;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::admin::login;
use crate::both_backends;
use crate::helpers::{Backend, TestApp, csrf_token, event_body, json_of, spawn_app};

both_backends!(
    organizers_list_search_export_and_act_on_attendees,
    guests_are_checked_in_through_the_qr_link,
    the_join_link_reaches_confirmed_guests_only,
    destructive_actions_ask_first_and_say_what_happened,
    blank_reminders_mean_none_and_languages_follow_the_guest
);

/// Registers a guest on an organizer's behalf; answers the API's record.
/// Registration times are kept to the second, and the list is in the
/// order guests came: each registration here comes in a second of its own.
async fn register(app: &TestApp, slug: &str, name: &str, furigana: &str, email: &str) -> Value {
    tokio::time::sleep(std::time::Duration::from_millis(1050)).await;
    let (status, body) = app
        .api_post(
            &format!("/api/v1/events/{slug}/registrations"),
            &json!({
                "name": name, "furigana": furigana, "email": email,
                "organization": format!("{name} 株式会社"), "country": "JP",
                "time_zone": "Asia/Tokyo", "language": "ja", "consent": true
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// A seminar for two with three guests: 山田 and 阿部 confirmed, 加藤
/// (whose name starts like a formula) waitlisted.
async fn full_seminar(backend: Backend) -> (TestApp, Vec<Value>) {
    let app = spawn_app(backend).await;
    let (hall, _) = app.seed_basics().await;
    let mut body = event_body(
        "regen-seminar",
        "2031-12-02T14:00:00+09:00",
        "2031-12-02T17:00:00+09:00",
        &[&hall],
    );
    body["capacity"] = json!(2);
    app.create_event(&body).await;
    let guests = vec![
        register(
            &app,
            "regen-seminar",
            "山田 太郎",
            "やまだ たろう",
            "yamada@example.jp",
        )
        .await,
        register(
            &app,
            "regen-seminar",
            "阿部 花",
            "あべ はな",
            "abe@example.jp",
        )
        .await,
        register(
            &app,
            "regen-seminar",
            "=加藤 一",
            "かとう はじめ",
            "kato@example.jp",
        )
        .await,
    ];
    (app, guests)
}

fn python() -> String {
    std::env::var("MUSUBI_ICAL_PYTHON").expect("MUSUBI_ICAL_PYTHON is not set: run scripts/test")
}

/// An export read back by Python (csv, or openpyxl for xlsx).
fn read_back(kind: &str, bytes: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("export.{kind}"));
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tools/export-check/read_export.py"
        ))
        .arg(kind)
        .arg(&path)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn organizers_list_search_export_and_act_on_attendees(backend: Backend) {
    let (app, guests) = full_seminar(backend).await;
    let list = "/api/v1/events/regen-seminar/registrations";

    // The API: organizers only, in the order guests came, the exact fields.
    let (status, _) = app.api_get_public(list).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = app.api_get(list).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (
            body["page"].clone(),
            body["per_page"].clone(),
            body["total"].clone()
        ),
        (json!(1), json!(50), json!(3))
    );
    let rows = body["registrations"].as_array().unwrap();
    let mut keys: Vec<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "checked_in_at",
            "country",
            "email",
            "furigana",
            "id",
            "language",
            "name",
            "organization",
            "registered_at",
            "status",
            "waitlist_position"
        ]
    );
    assert_eq!(rows[0]["name"], "山田 太郎");
    assert_eq!(rows[0]["checked_in_at"], Value::Null);
    assert_eq!(rows[2]["status"], "waitlisted");
    assert_eq!(rows[2]["waitlist_position"], 1);
    let (_, waitlisted) = app.api_get(&format!("{list}?status=waitlisted")).await;
    assert_eq!(waitlisted["total"], 1);
    assert_eq!(waitlisted["registrations"][0]["email"], "kato@example.jp");
    let (_, second) = app.api_get(&format!("{list}?page=2&per_page=1")).await;
    assert_eq!(second["registrations"][0]["name"], "阿部 花");
    assert_eq!(second["total"], 3);
    for bad in ["?status=maybe", "?page=0", "?per_page=0", "?per_page=501"] {
        let (status, body) = app.api_get(&format!("{list}{bad}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
    let (status, _) = app.api_get("/api/v1/events/none/registrations").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The admin page, and its search by furigana in katakana.
    login(&app).await;
    let page = app
        .browse("/admin/events/regen-seminar/registrations")
        .await;
    assert!(
        page.contains("山田 太郎") && page.contains("=加藤 一"),
        "{page}"
    );
    let found = app
        .browse("/admin/events/regen-seminar/registrations?q=%E3%83%A4%E3%83%9E%E3%83%80")
        .await;
    assert!(
        found.contains("山田 太郎") && !found.contains("阿部 花"),
        "{found}"
    );
    let dashboard = app.browse("/admin").await;
    assert!(
        dashboard.contains("2 / 2"),
        "confirmed / capacity on the dashboard"
    );

    // CSV and XLSX, read back as Excel users get them: header in the
    // page's language (Japanese here), a formula defused.
    let csv = app
        .client
        .get(app.url("/admin/events/regen-seminar/registrations.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = read_back("csv", &csv.bytes().await.unwrap());
    let rows = csv["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "{csv}");
    assert_eq!(rows[0][0], "氏名");
    assert_eq!(rows[1][0], "山田 太郎");
    assert_eq!(rows[3][0], "'=加藤 一");
    assert_eq!(rows[3][6], "キャンセル待ち");
    let xlsx = app
        .client
        .get(app.url("/admin/events/regen-seminar/registrations.xlsx?lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    let xlsx = read_back("xlsx", &xlsx.bytes().await.unwrap());
    let rows = xlsx["rows"].as_array().unwrap();
    assert_eq!(rows[0][0], "Name", "{xlsx}");
    assert_eq!(rows[2][1], "あべ はな");
    assert_eq!(rows[3][0], "'=加藤 一");

    // The reception list: confirmed guests by furigana (五十音順).
    let print = app
        .browse("/admin/events/regen-seminar/registrations/print?lang=ja")
        .await;
    let (abe, yamada) = (
        print.find("阿部 花").unwrap(),
        print.find("山田 太郎").unwrap(),
    );
    assert!(abe < yamada, "あべ before やまだ");
    assert!(!print.contains("加藤"), "waitlisted guests are not on it");

    // Cancelling a guest asks first; then the guest gets the same mail as
    // when they cancel, and the waitlisted guest moves up.
    let yamada_id = guests[0]["id"].as_str().unwrap();
    let ask = format!("/admin/events/regen-seminar/registrations/{yamada_id}/cancel");
    let confirm = app.browse(&ask).await;
    assert!(
        confirm.contains("山田 太郎") && confirm.contains("confirm-form"),
        "{confirm}"
    );
    let (_, still) = app.api_get(list).await;
    assert_eq!(
        still["registrations"][0]["status"], "confirmed",
        "asking changed nothing"
    );
    let r = app.press(&ask, &confirm).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let back = app.browse(r.headers()["location"].to_str().unwrap()).await;
    assert!(
        back.contains("class=\"flash\""),
        "a message after the action: {back}"
    );
    app.send_all_mail().await;
    let subjects: Vec<(String, String)> = app
        .smtp
        .received()
        .iter()
        .map(|m| (m.rcpt_to[0].clone(), m.subject()))
        .collect();
    assert!(
        subjects
            .iter()
            .any(|(to, s)| to.contains("yamada") && s.contains("キャンセル")),
        "{subjects:?}"
    );
    assert!(
        subjects
            .iter()
            .any(|(to, s)| to.contains("kato") && s.contains("確定")),
        "{subjects:?}"
    );

    // Moving up a waitlisted guest when the event is full puts them first.
    let late = register(&app, "regen-seminar", "Dana Smith", "", "dana@example.com").await;
    let later = register(&app, "regen-seminar", "Erik Berg", "", "erik@example.se").await;
    assert_eq!(later["status"], "waitlisted");
    let page = app
        .browse("/admin/events/regen-seminar/registrations")
        .await;
    let r = app
        .press(
            &format!(
                "/admin/events/regen-seminar/registrations/{}/move-up",
                later["id"].as_str().unwrap()
            ),
            &page,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, w) = app.api_get(&format!("{list}?status=waitlisted")).await;
    assert_eq!(w["registrations"][1]["name"], "Erik Berg");
    assert_eq!(w["registrations"][1]["waitlist_position"], 1, "{w}");
    assert_eq!(w["registrations"][0]["waitlist_position"], 2, "{late} {w}");
    app.send_all_mail().await;
}

/// The check-in link of a confirmation mail (the text under the QR code).
pub fn check_in_link(mail: &crate::smtp::Received) -> String {
    let parsed = mail.parsed();
    let text = parsed.body_text(0).unwrap();
    text.split_whitespace()
        .find(|w| w.contains("/check-in/"))
        .unwrap_or_else(|| panic!("no check-in link in {text}"))
        .to_owned()
}

async fn guests_are_checked_in_through_the_qr_link(backend: Backend) {
    let (app, guests) = full_seminar(backend).await;
    app.send_all_mail().await;
    let mail = app.smtp.received();
    let yamada = mail.iter().find(|m| m.is_to("yamada@example.jp")).unwrap();
    // The confirmation carries the QR code as an inline PNG and the link.
    let raw = String::from_utf8_lossy(&yamada.data).to_string();
    assert!(
        raw.contains("multipart/related") && raw.contains("image/png"),
        "{raw}"
    );
    assert!(raw.contains("cid:check-in-qr@musubi"));
    let parsed = yamada.parsed();
    let png = parsed
        .attachments()
        .find(|a| a.content_type().is_some_and(|c| c.subtype() == Some("png")))
        .expect("an inline PNG");
    assert!(png.contents().starts_with(b"\x89PNG\r\n\x1a\n"));
    // Replies and questions go to the contact address; the footer links
    // the privacy notice, which is there in both languages.
    let contact = &app.settings.contact_email;
    let reply_to = parsed
        .reply_to()
        .and_then(|a| a.first())
        .and_then(|a| a.address());
    assert_eq!(reply_to, Some(contact.as_str()));
    let text = parsed.body_text(0).unwrap();
    assert!(
        text.contains(&format!("お問い合わせ: {contact}"))
            && text.contains("個人情報の取り扱いについて: http://127.0.0.1:8080/privacy"),
        "{text}"
    );
    for (lang, heading) in [("ja", "保存期間"), ("en", "How long")] {
        let (status, page) = app.page(&format!("/privacy?lang={lang}"), None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(heading), "{page}");
    }
    let link = check_in_link(yamada);
    let path = app.local(&link);

    // Nobody signed in: no name, nothing checked in.
    let (status, page) = app
        .page(&link.replace("http://127.0.0.1:8080", ""), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !page.contains("山田") && page.contains("/admin/login?next="),
        "{page}"
    );
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = anonymous
        .post(&path)
        .form(&[("csrf_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sent to sign in");
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/admin/login"),
    );
    let (_, list) = app
        .api_get("/api/v1/events/regen-seminar/registrations")
        .await;
    assert_eq!(list["registrations"][0]["checked_in_at"], Value::Null);

    // An organizer's phone: the name large, one button; then done.
    login(&app).await;
    let page = app.browse(&path).await;
    assert!(
        page.contains("山田 太郎") && page.contains("山田 太郎 株式会社"),
        "{page}"
    );
    let forged = app
        .client
        .post(&path)
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let r = app.press(&path, &page).await;
    assert_eq!(r.status(), StatusCode::OK);
    let done = r.text().await.unwrap();
    assert!(done.contains("チェックインしました"), "{done}");
    let (_, list) = app
        .api_get("/api/v1/events/regen-seminar/registrations")
        .await;
    let at = list["registrations"][0]["checked_in_at"]
        .as_str()
        .expect("checked in")
        .to_owned();
    let again = app.press(&path, &page).await.text().await.unwrap();
    assert!(again.contains("すでに") && again.contains("JST"), "{again}");
    let (_, list) = app
        .api_get("/api/v1/events/regen-seminar/registrations")
        .await;
    assert_eq!(
        list["registrations"][0]["checked_in_at"], at,
        "the first time stands"
    );

    // The waitlisted guest has no seat to check in to; an unknown code is 404.
    let kato = mail.iter().find(|m| m.is_to("kato@example.jp")).unwrap();
    assert!(
        !String::from_utf8_lossy(&kato.data).contains("/check-in/"),
        "no code without a seat"
    );
    let (status, _) = app
        .page(
            "/check-in/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The search box checks in without a code; the dashboard counts it.
    let list_page = app
        .browse("/admin/events/regen-seminar/registrations?q=abe")
        .await;
    let abe = guests[1]["id"].as_str().unwrap();
    let r = app
        .press(
            &format!("/admin/events/regen-seminar/registrations/{abe}/check-in?q=abe"),
            &list_page,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, list) = app
        .api_get("/api/v1/events/regen-seminar/registrations")
        .await;
    assert!(list["registrations"][1]["checked_in_at"].is_string());
    let dashboard = app.browse("/admin").await;
    assert!(
        dashboard.contains("チェックイン: <strong>2</strong>"),
        "{dashboard}"
    );

    // The manage page shows the same code as an SVG with the link beneath.
    let manage = app.browse(&yamada.manage_link()).await;
    assert!(
        manage.contains("<svg") && manage.contains("/check-in/"),
        "{manage}"
    );

    // Registrations stored before check-in links existed get theirs when
    // the service starts (the link keys are read).
    let (pool, settings) = (app.pool.clone(), app.settings.clone());
    tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use musubi::db::schema::registrations;
        let mut conn = pool.get().unwrap();
        diesel::update(registrations::table)
            .set(registrations::check_in_hash.eq(None::<String>))
            .execute(&mut *conn)
            .unwrap();
        drop(conn);
        musubi::startup::link_keys(&settings, &pool).unwrap();
    })
    .await
    .unwrap();
    let again = app.browse(&path).await;
    assert!(again.contains("山田 太郎"), "the old link works again");
}

async fn the_join_link_reaches_confirmed_guests_only(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_basics().await;
    let join = "https://zoom.us/j/81234567890?pwd=secret";
    let mut body = event_body(
        "berlin-briefing",
        "2031-12-03T17:00:00+09:00",
        "2031-12-03T18:30:00+09:00",
        &[],
    );
    body["capacity"] = json!(1);
    body["online_url"] = json!("http://zoom.us/j/1");
    let (status, refused) = app.api_post("/api/v1/events", &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.to_string().contains("online_url"), "{refused}");
    body["online_url"] = json!(join);
    body["online_platform"] = json!("Zoom");
    let event = app.create_event(&body).await;
    assert_eq!(event["online_url"], join, "organizers see it");
    assert_eq!(event["attendance"], "online");

    // The public never sees it: page, API, feeds.
    let (_, public) = app.api_get_public("/api/v1/events/berlin-briefing").await;
    assert!(
        public.get("online_url").is_none() && public["attendance"] == "online",
        "{public}"
    );
    let (_, page) = app.page("/events/berlin-briefing", Some("en")).await;
    assert!(
        page.contains("Online (Zoom)") && !page.contains("zoom.us/j"),
        "{page}"
    );
    for feed in ["/calendar.ics", "/events/berlin-briefing.ics"] {
        let text = app.get(feed).await.text().await.unwrap();
        assert!(!text.contains("zoom.us/j"), "{feed}: {text}");
    }

    // The confirmed guest gets it in mail (text and invite) and on their
    // page; the waitlisted one does not.
    register(
        &app,
        "berlin-briefing",
        "Dana Smith",
        "",
        "dana@example.com",
    )
    .await;
    register(&app, "berlin-briefing", "Erik Berg", "", "erik@example.se").await;
    app.send_all_mail().await;
    let mail = app.smtp.received();
    let dana = mail.iter().find(|m| m.is_to("dana@example.com")).unwrap();
    let parsed = dana.parsed();
    let raw = parsed
        .parts
        .iter()
        .find(|p| p.is_content_type("text", "calendar"))
        .and_then(|p| p.text_contents())
        .expect("an invite")
        .replace("\r\n ", "");
    assert!(dana.parsed().body_text(0).unwrap().contains(join));
    assert!(
        raw.contains("CONFERENCE;VALUE=URI;FEATURE=VIDEO;LABEL=Zoom:https://zoom.us/j/81234567890"),
        "{raw}"
    );
    let erik = mail.iter().find(|m| m.is_to("erik@example.se")).unwrap();
    assert!(!String::from_utf8_lossy(&erik.data).contains("zoom.us/j"));
    assert!(app.browse(&dana.manage_link()).await.contains(join));
    assert!(!app.browse(&erik.manage_link()).await.contains("zoom.us/j"));
}

async fn destructive_actions_ask_first_and_say_what_happened(backend: Backend) {
    let (app, _) = full_seminar(backend).await;
    app.send_all_mail().await;
    let abe = app
        .smtp
        .received()
        .into_iter()
        .find(|m| m.is_to("abe@example.jp"))
        .unwrap();
    let manage = abe.manage_link();

    // "Delete my data" says what goes, and deletes nothing until pressed.
    let ask = app.browse(&format!("{manage}/delete")).await;
    assert!(
        ask.contains("abe@example.jp") && ask.contains("申込 1 件"),
        "{ask}"
    );
    let (_, list) = app
        .api_get("/api/v1/events/regen-seminar/registrations")
        .await;
    assert_eq!(list["total"], 3);

    // Cancelling the event asks, naming how many guests are mailed.
    login(&app).await;
    let ask = app.browse("/admin/events/regen-seminar/cancel").await;
    assert!(ask.contains("申込中の 3 名"), "{ask}");
    let (_, event) = app.api_get("/api/v1/events/regen-seminar").await;
    assert_eq!(event["status"], "published", "asking changed nothing");
    let r = app.press("/admin/events/regen-seminar/cancel", &ask).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let dashboard = app.browse("/admin").await;
    assert!(
        dashboard.contains("class=\"flash\"")
            && dashboard.contains("/admin/events/regen-seminar/restore")
    );
    app.send_all_mail().await;
    let before = app.smtp.received().len();

    // A mistake: restored as a draft, rooms booked again; guests mailed
    // only when the organizer ticks the box.
    let ask = app.browse("/admin/events/regen-seminar/restore").await;
    let r = app
        .client
        .post(app.url("/admin/events/regen-seminar/restore"))
        .form(&[("csrf_token", csrf_token(&ask).as_str()), ("notify", "on")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, event) = app.api_get("/api/v1/events/regen-seminar").await;
    assert_eq!(event["status"], "draft");
    app.send_all_mail().await;
    let updates = app.smtp.received().len() - before;
    assert_eq!(
        updates, 2,
        "the two confirmed guests get the updated invite"
    );
    let (status, again) = json_of(
        app.client
            .post(app.url("/api/v1/events/regen-seminar/cancel"))
            .bearer_auth(&app.token)
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    app.send_all_mail().await;

    // Restored again without ticking the box: nobody is mailed.
    let before = app.smtp.received().len();
    let ask = app.browse("/admin/events/regen-seminar/restore").await;
    let r = app.press("/admin/events/regen-seminar/restore", &ask).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, event) = app.api_get("/api/v1/events/regen-seminar").await;
    assert_eq!(event["status"], "draft");
    app.send_all_mail().await;
    assert_eq!(app.smtp.received().len(), before, "no mail without the box");
}

async fn blank_reminders_mean_none_and_languages_follow_the_guest(backend: Backend) {
    let (app, _) = full_seminar(backend).await;
    login(&app).await;
    // The form's reminder boxes: none ticked is no reminders.
    let form = app.browse("/admin/events/regen-seminar/edit").await;
    assert!(
        form.contains("value=\"10080\"") && form.contains("1週間前"),
        "{form}"
    );
    let (_, event) = app.api_get("/api/v1/events/regen-seminar").await;
    let mut fields: Vec<(String, String)> = vec![("csrf_token".into(), csrf_token(&form))];
    for (k, v) in [
        ("slug", "regen-seminar"),
        ("title_ja", "再生医療セミナー"),
        ("title_en", "Regenerative Medicine Seminar"),
        ("kind", "seminar"),
        ("time_zone", "Asia/Tokyo"),
        ("starts_at", "2031-12-02T14:00"),
        ("ends_at", "2031-12-02T17:00"),
        ("organizer_slugs", "link-j-west"),
        ("capacity", "2"),
        ("status", "published"),
        ("reminder_offsets", "none"),
    ] {
        fields.push((k.into(), v.into()));
    }
    fields.push((
        "room_ids".into(),
        event["room_ids"][0].as_str().unwrap().into(),
    ));
    fields.push(("revision".into(), event["revision"].to_string()));
    let r = app
        .client
        .post(app.url("/admin/events/regen-seminar"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let (_, event) = app.api_get("/api/v1/events/regen-seminar").await;
    assert_eq!(event["reminder_offsets"], json!([]), "{event}");
    fields.retain(|(k, _)| k != "revision");
    fields.push(("revision".into(), event["revision"].to_string()));
    fields.push(("reminder_offsets".into(), "10080".into()));
    fields.push(("reminder_offsets".into(), "60".into()));
    let r = app
        .client
        .post(app.url("/admin/events/regen-seminar"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, event) = app.api_get("/api/v1/events/regen-seminar").await;
    assert_eq!(event["reminder_offsets"], json!([10080, 60]));

    // Languages: a browser that asks for neither gets English; Japanese
    // browsers and requests without the header get Japanese.
    for (accept, lang) in [
        (Some("fr-FR, de;q=0.8"), "en"),
        (Some("ja-JP"), "ja"),
        (None, "ja"),
        (Some("en-US"), "en"),
    ] {
        let (_, page) = app.page("/events/regen-seminar", accept).await;
        assert!(
            page.contains(&format!("<html lang=\"{lang}\"")),
            "{accept:?}"
        );
    }
    app.send_all_mail().await;
    // A guest's page follows their registration's language, whatever the browser.
    let dana = app
        .api_post(
            "/api/v1/events/regen-seminar/registrations",
            &json!({"name": "Dana Smith", "email": "dana@example.com", "organization": "Boston Bio",
                    "country": "US", "time_zone": "America/New_York", "language": "en", "consent": true}),
        )
        .await
        .1;
    let manage = app.local(dana["manage_url"].as_str().unwrap());
    let page = reqwest::Client::new()
        .get(&manage)
        .header("Accept-Language", "ja")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<html lang=\"en\""), "{page}");
    let page = reqwest::Client::new()
        .get(format!("{manage}?lang=ja"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<html lang=\"ja\""));
    app.send_all_mail().await;
}
