//! Partnering days: settings, participants' profiles and the directory
//! (who sees whom), meeting requests answered from the participant's
//! page, the mail each step sends, and expiry at the deadline. Every test
//! runs on both backends with the real SMTP server of the harness.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, csrf_token, error_fields, event_body, spawn_app};
use crate::registrations::part;
use crate::smtp::Received;

pub const DAY: &str = "osaka-partnering-2031";

/// Slots of 20 minutes with 10 between, 13:00–15:00 and 15:30–17:30 JST:
/// 13:00, 13:30, 14:00, 14:30, 15:30, 16:00, 16:30, 17:00.
pub fn settings(hall: &str) -> Value {
    json!({
        "slot_minutes": 20, "gap_minutes": 10,
        "windows": [
            { "starts_at": "2031-12-09T15:30:00+09:00", "ends_at": "2031-12-09T17:30:00+09:00" },
            { "starts_at": "2031-12-09T13:00:00+09:00", "ends_at": "2031-12-09T15:00:00+09:00" }
        ],
        "tables": [
            { "label": "A-01", "room_id": hall },
            { "label": "A-02", "room_id": hall },
            { "label": "Online-1", "online_url": "https://meet.example.com/partnering-1" }
        ],
        "request_deadline": "2031-12-08T17:00:00+09:00",
        "max_meetings": 6
    })
}

pub async fn partnering_event(app: &TestApp, slug: &str, day: &str, rooms: &[&str]) {
    let mut body = event_body(
        slug,
        &format!("{day}T10:00:00+09:00"),
        &format!("{day}T18:00:00+09:00"),
        rooms,
    );
    body["kind"] = json!("partnering");
    body["capacity"] = json!(40);
    body["title_ja"] = json!("大阪・海外企業パートナリング");
    body["title_en"] = json!("Osaka–Overseas Partnering Day");
    app.create_event(&body).await;
}

/// A participant: registered by an organizer (confirmed), with the
/// partnering page of their manage link.
pub struct Participant {
    pub id: String,
    pub email: String,
    pub page: String,
}

pub async fn register(
    app: &TestApp,
    slug: &str,
    email: &str,
    name: &str,
    extra: Value,
) -> Participant {
    let mut body = json!({
        "name": name, "email": email, "organization": "Osaka Bio KK",
        "consent": true, "language": "ja", "country": "JP", "time_zone": "Asia/Tokyo"
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, r) = app
        .api_post(&format!("/api/v1/events/{slug}/registrations"), &body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["status"], "confirmed");
    Participant {
        id: r["id"].as_str().unwrap().to_owned(),
        email: email.to_owned(),
        page: app.local(&format!("{}/partnering", r["manage_url"].as_str().unwrap())),
    }
}

/// Posts a form of a participant page (with the page's CSRF token).
pub async fn submit(
    app: &TestApp,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let html = app.browse(page).await;
    let token = csrf_token(&html);
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    app.client
        .post(app.local(action))
        .form(&form)
        .send()
        .await
        .unwrap()
}

pub async fn save_profile(app: &TestApp, p: &Participant, fields: &[(&str, &str)]) {
    let r = submit(app, &p.page, &format!("{}/profile", p.page), fields).await;
    let status = r.status();
    assert_eq!(status, StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
}

fn mail_to(app: &TestApp, address: &str) -> Vec<Received> {
    app.smtp
        .received()
        .into_iter()
        .filter(|m| m.is_to(address))
        .collect()
}

fn text_of(m: &Received) -> String {
    part(&m.parsed(), "text/plain").unwrap()
}

/// The day with its settings, three participants of it and one of another
/// partnering day.
struct Setup {
    app: TestApp,
    hall: String,
    hanako: Participant,
    dana: Participant,
    lena: Participant,
    other_day: Participant,
}

async fn setup(backend: Backend) -> Setup {
    let app = spawn_app(backend).await;
    let (hall, room_a) = app.seed_basics().await;
    partnering_event(&app, DAY, "2031-12-09", &[&hall]).await;
    partnering_event(&app, "kobe-partnering-2031", "2031-12-10", &[&room_a]).await;
    let (status, saved) = app
        .api_put(
            &format!("/api/v1/events/{DAY}/partnering"),
            &settings(&hall),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let hanako = register(
        &app,
        DAY,
        "hanako@osaka-bio.example.jp",
        "山田 花子",
        json!({}),
    )
    .await;
    let dana = register(
        &app,
        DAY,
        "dana@crv.example",
        "Dana Whitfield",
        json!({ "organization": "Charles River Ventures", "language": "en", "country": "US", "time_zone": "America/New_York" }),
    )
    .await;
    let lena = register(
        &app,
        DAY,
        "lena@rhein.example",
        "Lena Vogt",
        json!({ "organization": "Rhein Medtech GmbH", "language": "en", "country": "DE", "time_zone": "Europe/Berlin" }),
    )
    .await;
    let other_day = register(
        &app,
        "kobe-partnering-2031",
        "kenji@kobe.example.jp",
        "神戸 健二",
        json!({}),
    )
    .await;
    Setup {
        app,
        hall,
        hanako,
        dana,
        lena,
        other_day,
    }
}

both_backends!(
    settings_cut_slots_and_refuse_what_cannot_work,
    the_directory_shows_listed_profiles_of_the_same_event_by_fit,
    requests_are_answered_from_the_page_and_mail_the_other_side,
    pending_requests_expire_at_the_deadline,
);

async fn settings_cut_slots_and_refuse_what_cannot_work(backend: Backend) {
    let s = setup(backend).await;
    let app = &s.app;
    let (status, day) = app
        .api_get(&format!("/api/v1/events/{DAY}/partnering"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(day["configured"], true);
    let starts: Vec<&str> = day["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["starts_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            "2031-12-09T13:00:00+09:00",
            "2031-12-09T13:30:00+09:00",
            "2031-12-09T14:00:00+09:00",
            "2031-12-09T14:30:00+09:00",
            "2031-12-09T15:30:00+09:00",
            "2031-12-09T16:00:00+09:00",
            "2031-12-09T16:30:00+09:00",
            "2031-12-09T17:00:00+09:00"
        ]
    );
    assert_eq!(day["slots"][3]["ends_at"], "2031-12-09T14:50:00+09:00");
    assert_eq!(
        day["tables"][2],
        json!({ "index": 2, "label": "Online-1", "room_id": null, "online_url": "https://meet.example.com/partnering-1" })
    );
    assert_eq!(day["request_deadline"], "2031-12-08T17:00:00+09:00");
    assert_eq!(day["max_meetings"], 6);

    // A new partnering event has no settings yet; other kinds have none at all.
    let (status, fresh) = app
        .api_get("/api/v1/events/kobe-partnering-2031/partnering")
        .await;
    assert_eq!(
        (status, fresh["configured"].clone(), fresh["slots"].clone()),
        (StatusCode::OK, json!(false), json!([]))
    );
    app.create_event(&event_body(
        "a-seminar",
        "2031-12-11T10:00:00+09:00",
        "2031-12-11T12:00:00+09:00",
        &[],
    ))
    .await;
    let (status, _) = app.api_get("/api/v1/events/a-seminar/partnering").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .api_get_public(&format!("/api/v1/events/{DAY}/partnering"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let mut bad = settings(&s.hall);
    bad["windows"][0]["ends_at"] = json!("2031-12-09T19:00:00+09:00");
    bad["windows"][1]["ends_at"] = json!("2031-12-09T15:40:00+09:00");
    bad["tables"][1]["label"] = json!("a-01");
    bad["tables"][2]["room_id"] = json!(s.hall);
    bad["request_deadline"] = json!("2031-12-09T13:10:00+09:00");
    bad["slot_minutes"] = json!(3);
    let (status, body) = app
        .api_put(&format!("/api/v1/events/{DAY}/partnering"), &bad)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = error_fields(&body);
    for f in [
        "slot_minutes",
        "windows",
        "tables[1].label",
        "tables[2].room_id",
    ] {
        assert!(fields.contains(&f.to_owned()), "{f} in {fields:?}");
    }
    // Checked against the event: within its hours, in its rooms.
    let mut outside = settings(&s.hall);
    outside["windows"][0]["ends_at"] = json!("2031-12-09T19:00:00+09:00");
    let (_, venue) = app.api_get("/api/v1/venues/nakanoshima").await;
    outside["tables"][0]["room_id"] = venue["rooms"][1]["id"].clone();
    let (status, body) = app
        .api_put(&format!("/api/v1/events/{DAY}/partnering"), &outside)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        error_fields(&body),
        ["windows[0].starts_at", "tables[0].room_id"]
    );
    let mut late = settings(&s.hall);
    late["request_deadline"] = json!("2031-12-09T13:10:00+09:00");
    let (status, body) = app
        .api_put(&format!("/api/v1/events/{DAY}/partnering"), &late)
        .await;
    assert_eq!(
        (status, error_fields(&body)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["request_deadline".to_owned()]
        )
    );
    // Nothing of the refused changes was kept.
    let (_, again) = app
        .api_get(&format!("/api/v1/events/{DAY}/partnering"))
        .await;
    assert_eq!(again, day);
    app.send_all_mail().await;
}

async fn the_directory_shows_listed_profiles_of_the_same_event_by_fit(backend: Backend) {
    let s = setup(backend).await;
    let app = &s.app;
    // Hanako offers regenerative medicine and seeks investment.
    save_profile(
        app,
        &s.hanako,
        &[
            ("organization", "大阪バイオ株式会社"),
            ("country", "JP"),
            ("time_zone", "Asia/Tokyo"),
            ("offer_categories", "regenerative_medicine"),
            ("offer", "iPS細胞由来の心筋シート"),
            ("seek_categories", "investment"),
            ("seek", "シリーズBの投資家"),
            ("listed", "on"),
            ("unavailable", "2031-12-09T04:00:00+00:00"),
        ],
    )
    .await;
    // Dana invests in regenerative medicine: a fit both ways.
    save_profile(
        app,
        &s.dana,
        &[
            ("organization", "Charles River Ventures"),
            ("country", "US"),
            ("time_zone", "America/New_York"),
            ("offer_categories", "investment"),
            ("seek_categories", "regenerative_medicine"),
            ("seek_categories", "therapeutics"),
            ("seek", "Cell therapy start-ups"),
            ("listed", "on"),
        ],
    )
    .await;
    // Lena is listed with no fit; the participant of Kobe is listed too.
    save_profile(
        app,
        &s.lena,
        &[
            ("organization", "Rhein Medtech GmbH"),
            ("country", "DE"),
            ("time_zone", "Europe/Berlin"),
            ("offer_categories", "medical_devices"),
            ("offer", "Catheters"),
            ("listed", "on"),
        ],
    )
    .await;
    save_profile(
        app,
        &s.other_day,
        &[
            ("organization", "神戸メディカル"),
            ("country", "JP"),
            ("time_zone", "Asia/Tokyo"),
            ("offer_categories", "investment"),
            ("listed", "on"),
        ],
    )
    .await;

    let page = app.browse(&format!("{}/directory", s.hanako.page)).await;
    let dana = page.find("Charles River Ventures").expect("Dana is listed");
    let lena = page.find("Rhein Medtech GmbH").expect("Lena is listed");
    assert!(dana < lena, "the better fit first");
    assert!(
        page.contains("提供: 投資（あなたが求めている分野）"),
        "{page}"
    );
    assert!(
        page.contains("求めている: 再生医療（あなたが提供できる分野）"),
        "{page}"
    );
    assert!(
        !page.contains("神戸メディカル"),
        "another event's participant is not shown"
    );
    assert!(!page.contains("大阪バイオ株式会社"), "nor the viewer");
    assert!(
        !page.contains("dana@crv.example") && !page.contains("Dana Whitfield"),
        "no personal data"
    );
    // Dana reads it in English, with the reason from her side.
    let page = app
        .browse(&format!("{}/directory?lang=en", s.dana.page))
        .await;
    assert!(
        page.contains("Offers: Regenerative medicine, which you seek"),
        "{page}"
    );
    // Filters: category, country, text.
    let page = app
        .browse(&format!(
            "{}/directory?category=medical_devices",
            s.hanako.page
        ))
        .await;
    assert!(page.contains("Rhein Medtech GmbH") && !page.contains("Charles River Ventures"));
    let page = app
        .browse(&format!("{}/directory?country=US", s.hanako.page))
        .await;
    assert!(!page.contains("Rhein Medtech GmbH") && page.contains("Charles River Ventures"));
    let page = app
        .browse(&format!("{}/directory?q=catheter", s.hanako.page))
        .await;
    assert!(page.contains("Rhein Medtech GmbH") && !page.contains("Charles River Ventures"));
    // Kobe's participant sees only Kobe (nobody else there).
    let page = app.browse(&format!("{}/directory", s.other_day.page)).await;
    assert!(!page.contains("Charles River Ventures") && !page.contains("大阪バイオ"));
    // A waitlisted or cancelled registration, or a bad token, has no partnering pages.
    let cancelled = register(app, DAY, "gone@example.com", "Gone", json!({})).await;
    let manage = cancelled.page.trim_end_matches("/partnering").to_owned();
    let r = submit(app, &manage, &format!("{manage}/cancel"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for page in [
        format!("{manage}/partnering/directory"),
        format!("{manage}/partnering"),
        app.url("/registrations/nope/partnering/directory"),
    ] {
        let r = app.client.get(&page).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{page}");
    }
    // Organizers see every profile with the blocked slot by index (13:00 JST is slot 0).
    let (status, list) = app
        .api_get(&format!("/api/v1/events/{DAY}/partnering/participants"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let hanako = list["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == s.hanako.id.as_str())
        .unwrap();
    assert_eq!(hanako["unavailable"], json!([0]));
    assert_eq!(hanako["offer_categories"], json!(["regenerative_medicine"]));
    assert_eq!(hanako["has_profile"], true);
    // A slot that does not exist, an unknown category: 422 on the page.
    let r = submit(
        app,
        &s.hanako.page,
        &format!("{}/profile", s.hanako.page),
        &[
            ("organization", "大阪バイオ"),
            ("country", "JP"),
            ("time_zone", "Asia/Tokyo"),
            ("unavailable", "2031-12-09T04:05:00+00:00"),
            ("offer_categories", "cosmetics"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("offer_categories"), "{html}");
    app.send_all_mail().await;
}

async fn requests_are_answered_from_the_page_and_mail_the_other_side(backend: Backend) {
    let s = setup(backend).await;
    let app = &s.app;
    for (p, org, country, zone) in [
        (&s.hanako, "大阪バイオ株式会社", "JP", "Asia/Tokyo"),
        (&s.dana, "Charles River Ventures", "US", "America/New_York"),
    ] {
        save_profile(
            app,
            p,
            &[
                ("organization", org),
                ("country", country),
                ("time_zone", zone),
                ("offer_categories", "investment"),
                ("listed", "on"),
            ],
        )
        .await;
    }
    // Lena has a profile but is not listed: participants cannot ask her.
    save_profile(
        app,
        &s.lena,
        &[
            ("organization", "Rhein Medtech GmbH"),
            ("country", "DE"),
            ("time_zone", "Europe/Berlin"),
        ],
    )
    .await;
    app.send_all_mail().await;
    let before = app.smtp.received().len();

    let r = submit(
        app,
        &s.hanako.page,
        &format!("{}/requests", s.hanako.page),
        &[
            ("to", &s.dana.id),
            (
                "message",
                "心筋シートの共同開発についてお話しできれば幸いです。",
            ),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.send_all_mail().await;
    let to_dana = mail_to(app, &s.dana.email);
    let asked = to_dana.last().unwrap();
    assert_eq!(asked.subject(), "Meeting request from 大阪バイオ株式会社");
    let text = text_of(asked);
    assert!(text.contains("心筋シートの共同開発"), "{text}");
    assert!(text.contains("/partnering"), "{text}");
    assert!(
        !text.contains("山田 花子"),
        "no personal name before both agree: {text}"
    );
    assert_eq!(
        app.smtp.received().len(),
        before + 1,
        "only the one asked is mailed"
    );

    // Asking again, or asking someone unlisted: refused on the page.
    let r = submit(
        app,
        &s.hanako.page,
        &format!("{}/requests", s.hanako.page),
        &[("to", &s.dana.id)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = submit(
        app,
        &s.dana.page,
        &format!("{}/requests", s.dana.page),
        &[("to", &s.hanako.id)],
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "one request per pair, whoever asks"
    );
    let r = submit(
        app,
        &s.hanako.page,
        &format!("{}/requests", s.hanako.page),
        &[("to", &s.lena.id)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = submit(
        app,
        &s.hanako.page,
        &format!("{}/requests", s.hanako.page),
        &[("to", &s.other_day.id)],
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "not a participant of this event"
    );

    let (_, list) = app
        .api_get(&format!("/api/v1/events/{DAY}/partnering/requests"))
        .await;
    let request = list["requests"][0].clone();
    assert_eq!(
        (
            request["from"].as_str(),
            request["to"].as_str(),
            request["status"].as_str()
        ),
        (
            Some(s.hanako.id.as_str()),
            Some(s.dana.id.as_str()),
            Some("pending")
        )
    );
    let id = request["id"].as_str().unwrap();
    // Only the one asked answers; someone else's request is not there for Lena.
    let r = submit(
        app,
        &s.hanako.page,
        &format!("{}/requests/{id}/accept", s.hanako.page),
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = submit(
        app,
        &s.lena.page,
        &format!("{}/requests/{id}/accept", s.lena.page),
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let page = app.browse(&s.dana.page).await;
    assert!(
        page.contains("心筋シートの共同開発") && page.contains("大阪バイオ株式会社"),
        "{page}"
    );
    let r = submit(
        app,
        &s.dana.page,
        &format!("{}/requests/{id}/accept", s.dana.page),
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.send_all_mail().await;
    let accepted = mail_to(app, &s.hanako.email).last().unwrap().clone();
    assert_eq!(
        accepted.subject(),
        "【商談申込】Charles River Venturesが承諾しました"
    );
    assert!(
        text_of(&accepted).contains("Dana Whitfield"),
        "the name once both agree"
    );
    let r = submit(
        app,
        &s.dana.page,
        &format!("{}/requests/{id}/decline", s.dana.page),
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "answered already");

    // Organizers: a request on Lena's behalf with a priority, a new
    // priority, then withdrawn: both sides are told.
    let (status, made) = app
        .api_post(&format!("/api/v1/events/{DAY}/partnering/requests"),
            &json!({ "from": s.lena.id, "to": s.hanako.id, "message": "Catheters for Japan", "priority": 5 }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(
        (made["priority"].clone(), made["by_organizer"].clone()),
        (json!(5), json!(true))
    );
    let one = format!(
        "/api/v1/events/{DAY}/partnering/requests/{}",
        made["id"].as_str().unwrap()
    );
    let (status, patched) = app.api_patch(&one, &json!({ "priority": 2 })).await;
    assert_eq!(
        (status, patched["priority"].clone()),
        (StatusCode::OK, json!(2))
    );
    let (status, _) = app.api_patch(&one, &json!({ "priority": 9 })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app.api_post(&format!("{one}/cancel"), &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.api_post(&format!("{one}/accept"), &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    app.send_all_mail().await;
    // The request mail to Hanako was never sent: withdrawn first.
    let to_hanako: Vec<String> = mail_to(app, &s.hanako.email)
        .iter()
        .map(Received::subject)
        .collect();
    assert!(
        to_hanako.contains(&"【商談申込】Rhein Medtech GmbHとの申込が取り消されました".to_owned()),
        "{to_hanako:?}"
    );
    assert!(
        !to_hanako
            .iter()
            .any(|s| s.contains("Rhein Medtech GmbHから商談の申込")),
        "{to_hanako:?}"
    );
    let to_lena: Vec<String> = mail_to(app, &s.lena.email)
        .iter()
        .map(Received::subject)
        .collect();
    assert_eq!(
        to_lena.last().unwrap(),
        "The meeting request with 大阪バイオ株式会社 was withdrawn"
    );
    // An organizer asks Lena (unlisted) for Dana; Lena declines on her
    // page, and Dana is told.
    let (_, made) = app
        .api_post(
            &format!("/api/v1/events/{DAY}/partnering/requests"),
            &json!({ "from": s.dana.id, "to": s.lena.id }),
        )
        .await;
    let id = made["id"].as_str().unwrap();
    let r = submit(
        app,
        &s.lena.page,
        &format!("{}/requests/{id}/decline", s.lena.page),
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.send_all_mail().await;
    assert_eq!(
        mail_to(app, &s.dana.email).last().unwrap().subject(),
        "Rhein Medtech GmbH declined your meeting request"
    );
    // A pair a participant closed stays closed: no asking again (and again).
    let (_, list) = app
        .api_get(&format!("/api/v1/events/{DAY}/partnering/requests"))
        .await;
    let first = list["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["to"] == s.dana.id.as_str() && r["from"] == s.hanako.id.as_str())
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("{list}"));
    let r = submit(
        app,
        &s.hanako.page,
        &format!("{}/requests/{first}/cancel", s.hanako.page),
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = submit(
        app,
        &s.hanako.page,
        &format!("{}/requests", s.hanako.page),
        &[("to", &s.dana.id)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    app.send_all_mail().await;
}

async fn pending_requests_expire_at_the_deadline(backend: Backend) {
    let s = setup(backend).await;
    let app = &s.app;
    save_profile(
        app,
        &s.hanako,
        &[
            ("organization", "大阪バイオ株式会社"),
            ("country", "JP"),
            ("time_zone", "Asia/Tokyo"),
            ("listed", "on"),
        ],
    )
    .await;
    save_profile(
        app,
        &s.dana,
        &[
            ("organization", "Charles River Ventures"),
            ("country", "US"),
            ("time_zone", "America/New_York"),
            ("listed", "on"),
        ],
    )
    .await;
    let r = submit(
        app,
        &s.dana.page,
        &format!("{}/requests", s.dana.page),
        &[("to", &s.hanako.id)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.send_all_mail().await;
    // What each has been told about expiry (the event's reminders go out
    // around the deadline too).
    let expiries = |email: &str| -> Vec<String> {
        mail_to(app, email)
            .iter()
            .map(Received::subject)
            .filter(|s| s.contains("expired") || s.contains("期限切れ"))
            .collect()
    };
    // The worker, one second before the deadline: nothing expires.
    let deadline = chrono::DateTime::parse_from_rfc3339("2031-12-08T17:00:00+09:00")
        .unwrap()
        .to_utc();
    app.worker
        .run_until_idle(deadline - chrono::Duration::seconds(1))
        .await
        .unwrap();
    let (_, list) = app
        .api_get(&format!("/api/v1/events/{DAY}/partnering/requests"))
        .await;
    assert_eq!(list["requests"][0]["status"], "pending");
    assert!(expiries(&s.dana.email).is_empty());
    // At the deadline: expired, both sides told, each in their language.
    app.worker.run_until_idle(deadline).await.unwrap();
    let (_, list) = app
        .api_get(&format!("/api/v1/events/{DAY}/partnering/requests"))
        .await;
    assert_eq!(list["requests"][0]["status"], "expired");
    assert_eq!(
        expiries(&s.hanako.email),
        ["【商談申込】Charles River Venturesとの申込は期限切れになりました"]
    );
    assert_eq!(
        expiries(&s.dana.email),
        ["The meeting request with 大阪バイオ株式会社 expired"]
    );
    // Another round changes nothing.
    app.worker
        .run_until_idle(deadline + chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(expiries(&s.dana.email).len(), 1);
}

both_backends!(scheduling_invites_both_sides_places_late_acceptances_and_replans);

/// The calendar part's UID and SEQUENCE of a message, and its METHOD.
fn invite(m: &Received) -> (String, String, String) {
    let ics = part(&m.parsed(), "text/calendar").expect("an invite");
    let field = |name: &str| {
        ics.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .unwrap_or_else(|| panic!("no {name} in {ics}"))
            .trim()
            .to_owned()
    };
    (field("METHOD"), field("UID"), field("SEQUENCE"))
}

async fn accepted(app: &TestApp, from: &Participant, to: &Participant) -> String {
    let (status, made) = app
        .api_post(
            &format!("/api/v1/events/{DAY}/partnering/requests"),
            &json!({ "from": from.id, "to": to.id, "message": "商談希望 / Let us meet", "accepted": true }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    made["id"].as_str().unwrap().to_owned()
}

async fn run_schedule(app: &TestApp, mode: &str, dry_run: bool) -> Value {
    let (status, plan) = app
        .api_post(
            &format!("/api/v1/events/{DAY}/partnering/schedule"),
            &json!({ "mode": mode, "dry_run": dry_run }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    plan
}

fn slot_of(plan: &Value, request: &str) -> Option<u64> {
    plan["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["request"] == request)
        .map(|m| m["slot"].as_u64().unwrap())
}

async fn scheduling_invites_both_sides_places_late_acceptances_and_replans(backend: Backend) {
    let s = setup(backend).await;
    let app = &s.app;
    let kenji = register(
        app,
        DAY,
        "kenji@kobe-med.example.jp",
        "神戸 健二",
        json!({}),
    )
    .await;
    for (p, org, country, zone) in [
        (&s.hanako, "大阪バイオ株式会社", "JP", "Asia/Tokyo"),
        (&s.dana, "Charles River Ventures", "US", "America/New_York"),
        (&s.lena, "Rhein Medtech GmbH", "DE", "Europe/Berlin"),
        (&kenji, "神戸メディカル", "JP", "Asia/Tokyo"),
    ] {
        save_profile(
            app,
            p,
            &[
                ("organization", org),
                ("country", country),
                ("time_zone", zone),
                ("listed", "on"),
            ],
        )
        .await;
    }
    // Scheduling before there is anything to schedule, then a preview that changes nothing.
    let first = accepted(app, &s.hanako, &s.dana).await;
    app.send_all_mail().await;
    let mails = app.smtp.received().len();
    let preview = run_schedule(app, "incremental", true).await;
    assert_eq!(preview["stats"]["placed"], 1);
    let (_, meetings) = app.api_get("/api/v1/meetings").await;
    assert_eq!(meetings["meetings"], json!([]), "a dry run creates nothing");
    app.send_all_mail().await;
    assert_eq!(app.smtp.received().len(), mails, "and mails no one");

    let plan = run_schedule(app, "incremental", false).await;
    assert_eq!(
        plan["meetings"], preview["meetings"],
        "the preview is what is applied"
    );
    let s1 = slot_of(&plan, &first).unwrap();
    app.send_all_mail().await;
    let (_, requests) = app
        .api_get(&format!("/api/v1/events/{DAY}/partnering/requests"))
        .await;
    let meeting_id = requests["requests"][0]["meeting_id"]
        .as_str()
        .expect("placed")
        .to_owned();
    let (_, meeting) = app.api_get(&format!("/api/v1/meetings/{meeting_id}")).await;
    let table = plan["meetings"][0]["table"].as_u64().unwrap();
    let (_, day) = app
        .api_get(&format!("/api/v1/events/{DAY}/partnering"))
        .await;
    assert_eq!(
        meeting["table_label"],
        day["tables"][table as usize]["label"]
    );
    assert_eq!(meeting["starts_at"], day["slots"][s1 as usize]["starts_at"]);
    assert_eq!(meeting["event_slug"], DAY);
    // Both sides are invited; Dana sees her own time in New York.
    let to_dana = mail_to(app, &s.dana.email);
    let dana_invite = to_dana.last().unwrap();
    let (method, uid, sequence) = invite(dana_invite);
    assert_eq!((method.as_str(), sequence.as_str()), ("REQUEST", "0"));
    assert_eq!(uid, format!("meeting-{meeting_id}@127.0.0.1"));
    assert_eq!(invite(mail_to(app, &s.hanako.email).last().unwrap()).1, uid);
    let start = chrono::DateTime::parse_from_rfc3339(
        day["slots"][s1 as usize]["starts_at"].as_str().unwrap(),
    )
    .unwrap()
    .to_utc();
    let local = musubi::i18n::format_range(
        musubi::domain::Language::En,
        start,
        start + chrono::Duration::minutes(20),
        musubi::domain::TimeZone::parse("America/New_York").unwrap(),
    );
    let text = text_of(dana_invite);
    assert!(
        text.contains(&local) && text.contains("America/New_York"),
        "{local} in {text}"
    );

    // Accepted after the run: placed at once in the first free fit.
    let late = accepted(app, &s.hanako, &s.lena).await;
    let (_, requests) = app
        .api_get(&format!("/api/v1/events/{DAY}/partnering/requests"))
        .await;
    let late_row = requests["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == late.as_str())
        .unwrap()
        .clone();
    let late_meeting = late_row["meeting_id"]
        .as_str()
        .expect("placed at once")
        .to_owned();
    let (_, m) = app
        .api_get(&format!("/api/v1/meetings/{late_meeting}"))
        .await;
    let f = if s1 == 0 { 1 } else { 0 };
    assert_eq!(
        m["starts_at"], day["slots"][f]["starts_at"],
        "the first slot both are free in"
    );
    app.send_all_mail().await;

    // Dana can only do s1 and s2 now; Kenji only s1. Incremental keeps
    // Hanako–Dana at s1, so Dana–Kenji cannot be placed; a re-plan moves it.
    let s2 = (0..8).find(|x| *x != s1 as usize && *x != f).unwrap();
    let slot_starts: Vec<String> = day["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["starts_at"].as_str().unwrap().to_owned())
        .collect();
    let blocked = |keep: &[usize]| -> Vec<(&'static str, String)> {
        (0..8)
            .filter(|i| !keep.contains(i))
            .map(|i| ("unavailable", slot_starts[i].clone()))
            .collect()
    };
    for (p, keep, org, country, zone) in [
        (
            &s.dana,
            vec![s1 as usize, s2],
            "Charles River Ventures",
            "US",
            "America/New_York",
        ),
        (
            &kenji,
            vec![s1 as usize],
            "神戸メディカル",
            "JP",
            "Asia/Tokyo",
        ),
    ] {
        let mut fields: Vec<(&str, String)> = vec![
            ("organization", org.into()),
            ("country", country.into()),
            ("time_zone", zone.into()),
            ("listed", "on".into()),
        ];
        fields.extend(blocked(&keep));
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        save_profile(app, p, &fields).await;
    }
    let third = accepted(app, &s.dana, &kenji).await;
    // The plan as it stands says why Dana–Kenji waits.
    let (status, current) = app
        .api_get(&format!("/api/v1/events/{DAY}/partnering/plan"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(current["stats"]["placed"], 2, "{current}");
    assert_eq!(
        current["unplaced"],
        json!([{ "request": third, "reason": "participant_unavailable" }])
    );
    let preview = run_schedule(app, "incremental", true).await;
    assert_eq!(
        preview["unplaced"],
        json!([{ "request": third, "reason": "participant_unavailable" }])
    );
    let before = (
        mail_to(app, &s.hanako.email).len(),
        mail_to(app, &kenji.email).len(),
    );
    let plan = run_schedule(app, "replan", false).await;
    assert_eq!(plan["stats"]["placed"], 3, "{plan}");
    assert_eq!(slot_of(&plan, &first), Some(s2 as u64), "Hanako–Dana moved");
    assert_eq!(slot_of(&plan, &third), Some(s1));
    app.send_all_mail().await;
    let moved = &mail_to(app, &s.hanako.email)[before.0..];
    let updates: Vec<(String, String, String)> = moved
        .iter()
        .map(invite)
        .filter(|(_, u, _)| *u == uid)
        .collect();
    assert_eq!(
        updates,
        [("REQUEST".to_owned(), uid.clone(), "1".to_owned())],
        "a new REQUEST, SEQUENCE 1"
    );
    let to_kenji = &mail_to(app, &kenji.email)[before.1..];
    assert_eq!(to_kenji.len(), 1);
    assert_eq!(invite(&to_kenji[0]).0, "REQUEST");
    // Settings that would move the slots are refused now.
    let mut changed = settings(&s.hall);
    changed["slot_minutes"] = json!(25);
    let (status, _) = app
        .api_put(&format!("/api/v1/events/{DAY}/partnering"), &changed)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // A booked slot cannot be marked unavailable.
    let r = submit(
        app,
        &kenji.page,
        &format!("{}/profile", kenji.page),
        &[
            ("organization", "神戸メディカル"),
            ("country", "JP"),
            ("time_zone", "Asia/Tokyo"),
            ("unavailable", &slot_starts[s1 as usize]),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

both_backends!(organizers_preview_confirm_and_export_and_guests_print_their_agenda);

/// A CSV as Python's csv module reads it (after the BOM, as Excel would).
fn read_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.csv");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import csv, json, sys\nwith open(sys.argv[1], encoding='utf-8-sig', newline='') as f:\n    print(json.dumps(list(csv.reader(f))))",
            path.to_str().unwrap(),
        ])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

async fn organizers_preview_confirm_and_export_and_guests_print_their_agenda(backend: Backend) {
    let s = setup(backend).await;
    let app = &s.app;
    for (p, org, country, zone, interpreter) in [
        (&s.hanako, "大阪バイオ株式会社", "JP", "Asia/Tokyo", true),
        (
            &s.dana,
            "Charles River Ventures, Inc.",
            "US",
            "America/New_York",
            false,
        ),
        (
            &s.lena,
            "=Rhein \"Medtech\" GmbH",
            "DE",
            "Europe/Berlin",
            false,
        ),
    ] {
        let mut fields = vec![
            ("organization", org),
            ("country", country),
            ("time_zone", zone),
            ("listed", "on"),
            ("offer_categories", "regenerative_medicine"),
            ("offer", "心筋シート\n第2行"),
        ];
        if interpreter {
            fields.push(("interpreter", "on"));
        }
        save_profile(app, p, &fields).await;
    }
    accepted(app, &s.hanako, &s.dana).await;
    accepted(app, &s.hanako, &s.lena).await;
    crate::admin::login(app).await;
    let admin = format!("/admin/events/{DAY}/partnering");
    let page = app
        .client
        .get(app.url(&admin))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("次の配置で入ります"),
        "waiting for a run: {page}"
    );
    assert!(page.contains("class=\"count-accepted\">2<"), "{page}");
    assert!(page.contains("class=\"count-placed\">0<"), "{page}");
    // Preview, then the state changes: the old preview cannot be confirmed.
    let preview = app
        .client
        .get(app.url(&format!("{admin}?preview=incremental")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        preview.contains("大阪バイオ株式会社 (JP) × Charles River Ventures, Inc. (US)"),
        "{preview}"
    );
    let stale = hidden(&preview, "fingerprint");
    let (_, list) = app
        .api_get(&format!("/api/v1/events/{DAY}/partnering/requests"))
        .await;
    let one = format!(
        "/api/v1/events/{DAY}/partnering/requests/{}",
        list["requests"][0]["id"].as_str().unwrap()
    );
    let (status, _) = app.api_patch(&one, &json!({ "priority": 5 })).await;
    assert_eq!(status, StatusCode::OK);
    let action = app.url(&format!("{admin}/schedule"));
    let confirm = |fingerprint: String, page: String| {
        let form = [
            ("csrf_token", csrf_token(&page)),
            ("mode", "incremental".into()),
            ("fingerprint", fingerprint),
        ];
        app.client.post(&action).form(&form).send()
    };
    assert_eq!(
        confirm(stale, preview).await.unwrap().status(),
        StatusCode::CONFLICT
    );
    let preview = app
        .client
        .get(app.url(&format!("{admin}?preview=incremental")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        confirm(hidden(&preview, "fingerprint"), preview)
            .await
            .unwrap()
            .status(),
        StatusCode::SEE_OTHER
    );
    let page = app
        .client
        .get(app.url(&admin))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("class=\"count-placed\">2<"), "{page}");
    assert!(page.contains("class=\"count-without\">0<"), "{page}");
    assert!(page.contains("通訳"), "the interpreter is shown");
    app.send_all_mail().await;

    // The schedule CSV: BOM, CRLF, read back by Python's csv module.
    let r = app
        .client
        .get(app.url(&format!("{admin}/schedule.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with a BOM");
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(
        text.lines().count() >= 3 && text.split("\r\n").count() == 4,
        "CRLF: {text:?}"
    );
    let rows = read_csv(&bytes);
    assert_eq!(rows[0][0], "時間（日本時間）");
    assert_eq!(rows.len(), 3);
    let companies: Vec<&str> = rows[1..].iter().map(|r| r[5].as_str()).collect();
    assert!(
        companies.contains(&"Charles River Ventures, Inc. (US)"),
        "{rows:?}"
    );
    assert!(
        companies.contains(&"'=Rhein \"Medtech\" GmbH (DE)"),
        "a formula is defused: {rows:?}"
    );
    assert!(
        rows[1..]
            .iter()
            .all(|r| ["A-01", "A-02", "Online-1"].contains(&r[1].as_str()))
    );
    assert!(
        rows[1..]
            .iter()
            .all(|r| r[3] == "大阪バイオ株式会社 (JP)"
                && r[4].contains("hanako@osaka-bio.example.jp"))
    );
    // The participants CSV, in English.
    let r = app
        .client
        .get(app.url(&format!("{admin}/participants.csv?lang=en")))
        .send()
        .await
        .unwrap();
    let rows = read_csv(&r.bytes().await.unwrap());
    assert_eq!(rows[0][..3], ["Name", "Email", "Company"]);
    assert_eq!(rows.len(), 4, "three participants: {rows:?}");
    let hanako = rows.iter().find(|r| r[1] == s.hanako.email).unwrap();
    assert_eq!(
        (hanako[7].as_str(), hanako[11].as_str(), hanako[13].as_str()),
        ("心筋シート\n第2行", "yes", "2")
    );
    // Not for the public.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url(&format!("{admin}/schedule.csv")))
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), StatusCode::OK);

    // Dana's agenda: her meeting in Japan's time and New York's, the
    // table, the other company; the whole agenda as one calendar.
    let agenda = app.browse(&format!("{}/agenda?lang=en", s.dana.page)).await;
    assert!(
        agenda.contains("大阪バイオ株式会社")
            && agenda.contains("(New York)")
            && agenda.contains("JST (Japan time)"),
        "{agenda}"
    );
    assert!(
        agenda.contains("/meetings/") && agenda.contains(".ics"),
        "{agenda}"
    );
    let ics = app
        .client
        .get(format!("{}/agenda.ics", s.dana.page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (python, icaljs) = crate::feeds::parse_independently(&ics);
    assert_eq!(python["errors"], json!([]), "{python}");
    assert_eq!(python["events"].as_array().unwrap().len(), 1, "{ics}");
    assert_eq!(icaljs["events"].as_array().unwrap().len(), 1);
    let ics = app
        .client
        .get(format!("{}/agenda.ics", s.hanako.page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (python, _) = crate::feeds::parse_independently(&ics);
    assert_eq!(python["events"].as_array().unwrap().len(), 2, "{ics}");
    // And in her personal feed.
    let to_dana = mail_to(app, &s.dana.email);
    let feed = text_of(to_dana.last().unwrap())
        .split_whitespace()
        .find(|w| w.contains("/feeds/"))
        .unwrap()
        .to_owned();
    let feed = app
        .client
        .get(app.local(&feed))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(feed.contains("大阪バイオ株式会社"), "{feed}");

    // Organizers act for participants from the page too: a request made
    // accepted is placed at once (the day has been scheduled).
    let page = app
        .client
        .get(app.url(&admin))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_token(&page);
    let r = app
        .client
        .post(app.url(&format!("{admin}/requests")))
        .form(&[
            ("csrf_token", token.as_str()),
            ("from", &s.dana.id),
            ("to", &s.lena.id),
            ("message", "Introduced by LINK-J WEST"),
            ("priority", "4"),
            ("accepted", "true"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, list) = app
        .api_get(&format!("/api/v1/events/{DAY}/partnering/requests"))
        .await;
    let made = list["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["from"] == s.dana.id.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (
            made["status"].as_str(),
            made["priority"].as_i64(),
            made["by_organizer"].as_bool()
        ),
        (Some("accepted"), Some(4), Some(true))
    );
    assert!(made["meeting_id"].is_string(), "placed at once: {made}");
    let r = app
        .client
        .post(app.url(&format!(
            "{admin}/requests/{}/priority",
            made["id"].as_str().unwrap()
        )))
        .form(&[("csrf_token", token.as_str()), ("priority", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, list) = app
        .api_get(&format!("/api/v1/events/{DAY}/partnering/requests"))
        .await;
    assert!(
        list["requests"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == made["id"] && r["priority"] == 1)
    );
    let page = app
        .client
        .get(app.url(&admin))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // In the page's body, in the requests section (not in its <title>).
    let body = &page[page.find("</title>").expect("a title")..];
    let section = &body[body.find("id=\"requests\"").expect("a requests section")..];
    assert!(section.contains("Introduced by LINK-J WEST"), "{page}");
    app.send_all_mail().await;
}
