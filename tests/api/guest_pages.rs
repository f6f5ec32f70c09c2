//! What guests see: error pages inside the site's layout in their
//! language, the month calendar with Japanese holidays and its list for
//! phones, the registration form's country and zone selects, the cards'
//! seat notes, the footer's time note, the favicon and the form script.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::admin::login;
use crate::both_backends;
use crate::helpers::{Backend, TestApp, csrf_token, event_body, spawn_app, spawn_app_with};

both_backends!(
    error_pages_are_in_the_layout_and_the_language,
    the_month_marks_holidays_and_lists_itself_for_phones,
    the_registration_form_offers_countries_and_zones,
    cards_and_buttons_say_how_many_seats_are_left
);

/// What every page has: the site's header and navigation, its footer with
/// the privacy notice, and the page's language on `<html>`.
fn assert_in_layout(html: &str, lang: &str) {
    assert!(
        html.contains(&format!("<html lang=\"{lang}\">")),
        "lang {lang}: {html}"
    );
    assert!(
        html.contains("<header class=\"site\">") && html.contains("<nav aria-label="),
        "{html}"
    );
    assert!(
        html.contains("<footer class=\"site\">") && html.contains("/privacy\">"),
        "{html}"
    );
    assert!(html.contains("rel=\"icon\""), "{html}");
}

async fn page_with(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let mut request = reqwest::Client::new().get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let r = request.send().await.unwrap();
    let (status, headers) = (r.status(), r.headers().clone());
    (status, headers, r.text().await.unwrap())
}

async fn error_pages_are_in_the_layout_and_the_language(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.rate_limit_per_minute = 2).await;
    let (hall, _) = app.seed_basics().await;
    let mut body = event_body(
        "regen-seminar",
        "2031-12-02T14:00:00+09:00",
        "2031-12-02T17:00:00+09:00",
        &[&hall],
    );
    body["capacity"] = json!(1);
    app.create_event(&body).await;

    // 404: an unknown path and an unknown event, in Japanese by default and
    // in English for a browser that asks for German.
    let (status, headers, html) = page_with(&app, "/no-such-page", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_in_layout(&html, "ja");
    assert!(
        html.contains("ページが見つかりません") && html.contains("<p class=\"error-code\">404</p>"),
        "{html}"
    );
    assert!(
        html.contains("href=\"/\">トップへ戻る</a>"),
        "a way back: {html}"
    );
    let (status, _, html) = page_with(
        &app,
        "/events/no-such-event",
        &[("Accept-Language", "de-DE,de;q=0.9")],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_in_layout(&html, "en");
    assert!(
        html.contains("Page not found") && html.contains("Back to the start page"),
        "{html}"
    );
    assert!(
        !html.contains("ページが見つかりません"),
        "one language: {html}"
    );
    // Coming from a page of this site, "back" leads there; from elsewhere it
    // is not offered.
    let (_, _, html) = page_with(
        &app,
        "/events/gone",
        &[("Referer", &app.url("/calendar?month=2031-12"))],
    )
    .await;
    assert!(
        html.contains("href=\"/calendar?month=2031-12\">← 前のページに戻る"),
        "{html}"
    );
    let (_, _, html) = page_with(
        &app,
        "/events/gone",
        &[("Referer", "https://evil.example/phish")],
    )
    .await;
    assert!(
        !html.contains("evil.example") && !html.contains("前のページに戻る"),
        "{html}"
    );

    // A path that starts with two slashes links nowhere else: not through
    // the language switch, not through "back".
    let (status, _, html) = page_with(
        &app,
        "//evil.example/x",
        &[("Referer", &app.url("//evil.example/y"))],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        !html.contains("href=\"//evil.example")
            && html.contains("href=\"/evil.example/x?lang=en\""),
        "{html}"
    );
    assert!(
        html.contains("href=\"/evil.example/y\">← 前のページに戻る"),
        "{html}"
    );

    // 422: a month that is not one, with the field named in the language.
    let (status, _, html) = page_with(&app, "/calendar?month=2031-13&lang=en", &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_in_layout(&html, "en");
    assert!(
        html.contains("Please check what was sent") && html.contains("class=\"error-details\""),
        "{html}"
    );

    // 409: an organizer moves up a guest who already has a seat.
    let (status, first) = app
        .api_post(
            "/api/v1/events/regen-seminar/registrations",
            &json!({"name": "山田 太郎", "email": "yamada@example.jp", "organization": "大阪バイオ",
                    "country": "JP", "time_zone": "Asia/Tokyo", "language": "ja", "consent": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    login(&app).await;
    let list = app
        .browse("/admin/events/regen-seminar/registrations")
        .await;
    let id = first["id"].as_str().unwrap();
    let r = app
        .client
        .post(app.url(&format!(
            "/admin/events/regen-seminar/registrations/{id}/move-up"
        )))
        .form(&[("csrf_token", csrf_token(&list).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert_in_layout(&html, "ja");
    assert!(html.contains("この操作はできませんでした"), "{html}");

    // 429: the third registration of a minute from one client, with the
    // wait kept in Retry-After.
    let event_page = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let form_page = event_page
        .get(app.url("/events/regen-seminar?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_token(&form_page);
    let mut last = None;
    for i in 0..3 {
        let r = event_page
            .post(app.url("/events/regen-seminar/register"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("name", "Anna Schmidt"),
                ("email", &format!("anna{i}@example.de")),
                ("organization", "Berlin Bio GmbH"),
                ("country", "DE"),
                ("time_zone", "Europe/Berlin"),
                ("language", "en"),
                ("consent", "on"),
            ])
            .send()
            .await
            .unwrap();
        last = Some(r);
    }
    let r = last.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    let html = r.text().await.unwrap();
    assert_in_layout(&html, "en");
    assert!(html.contains("Too many requests"), "{html}");

    app.send_all_mail().await;
    // 500: the database loses a table under the running service.
    {
        use diesel::RunQueryDsl;
        let mut conn = app.pool.get().unwrap();
        diesel::sql_query("ALTER TABLE venues RENAME TO venues_gone")
            .execute(&mut *conn)
            .unwrap();
    }
    let (status, _, html) = page_with(&app, "/venues/nakanoshima?lang=en", &[]).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_in_layout(&html, "en");
    assert!(
        html.contains("Something went wrong")
            && !html.contains("venues_gone")
            && !html.contains("no such table")
            && !html.contains("relation"),
        "no internals: {html}"
    );

    // The API still answers JSON.
    let (status, _, body) = page_with(&app, "/api/v1/nothing-here", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"],
        "not_found"
    );
}

async fn the_month_marks_holidays_and_lists_itself_for_phones(backend: Backend) {
    let app = spawn_app(backend).await;
    let (hall, _) = app.seed_basics().await;
    // Silver Week 2031: Respect for the Aged Day on Monday the 15th, the
    // equinox on Tuesday the 23rd; the seminar on Saturday the 20th.
    app.create_event(&event_body(
        "silver-seminar",
        "2031-09-20T14:00:00+09:00",
        "2031-09-20T17:00:00+09:00",
        &[&hall],
    ))
    .await;
    let (status, html) = app.page("/calendar?month=2031-09", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("2031年9月") && html.contains("（日本時間）"),
        "{html}"
    );
    assert!(
        !html.contains("Asia/Tokyo"),
        "no raw zone names in Japanese: {html}"
    );
    let cell = |day: &str| {
        let at = html
            .find(&format!("<span class=\"day\">{day}</span>"))
            .unwrap_or_else(|| panic!("day {day}"));
        let open = html[..at].rfind("<td").unwrap();
        html[open..at].to_owned()
    };
    assert!(
        cell("15").contains(" sun\""),
        "a holiday is red: {}",
        cell("15")
    );
    assert!(
        cell("20").contains(" sat\""),
        "Saturday is blue: {}",
        cell("20")
    );
    assert!(
        cell("21").contains(" sun\""),
        "Sunday is red: {}",
        cell("21")
    );
    assert!(
        !cell("22").contains("sun") && !cell("22").contains("sat"),
        "a weekday: {}",
        cell("22")
    );
    assert!(
        html.contains("<span class=\"day\">15</span> <span class=\"holiday\">敬老の日</span>"),
        "{html}"
    );
    assert!(html.contains("秋分の日"), "{html}");
    // The list for phones: the days with an event or a holiday, in order.
    let list = &html[html.find("<ol class=\"month-agenda\"").unwrap()..];
    let list = &list[..list.find("</ol>").unwrap()];
    let first = list.find("9月15日(月)").expect("the holiday");
    let seminar = list.find("9月20日(土)").expect("the seminar's day");
    assert!(
        first < seminar && list.find("9月23日(火)").unwrap() > seminar,
        "{list}"
    );
    assert!(list.contains("href=\"/events/silver-seminar\""), "{list}");
    // In English, and an empty month says so.
    let (_, html) = app.page("/calendar?month=2031-09&lang=en", None).await;
    assert!(
        html.contains("Respect for the Aged Day") && html.contains("Mon 15 Sep"),
        "{html}"
    );
    let (_, html) = app.page("/calendar?month=2031-10&lang=en", None).await;
    assert!(
        html.contains("No events this month.") && html.contains("Sports Day"),
        "{html}"
    );
    // The stylesheet turns the grid into the list on narrow screens.
    let css = app.get("/static/site.css").await.text().await.unwrap();
    assert!(css.contains("@media (max-width: 600px) { table.month { display: none; } .month-agenda { display: block; } }"));
}

async fn the_registration_form_offers_countries_and_zones(backend: Backend) {
    let app = spawn_app(backend).await;
    let (hall, _) = app.seed_basics().await;
    app.create_event(&event_body(
        "regen-seminar",
        "2031-12-02T14:00:00+09:00",
        "2031-12-02T17:00:00+09:00",
        &[&hall],
    ))
    .await;
    let (_, html) = app.page("/events/regen-seminar", None).await;
    let select = |name: &str| {
        let at = html
            .find(&format!("<select id=\"{name}\""))
            .unwrap_or_else(|| panic!("{name} select"));
        html[at..at + html[at..].find("</select>").unwrap()].to_owned()
    };
    let countries = select("country");
    assert!(
        countries.contains("autocomplete=\"country\""),
        "{countries}"
    );
    let first = countries.find("<option").unwrap();
    assert!(
        countries[first..].starts_with("<option value=\"JP\" selected>日本</option>"),
        "Japan first: {countries}"
    );
    assert!(
        countries.contains("<option value=\"DE\">ドイツ</option>")
            && countries.contains("<option value=\"KR\">韓国</option>")
    );
    assert!(
        countries.find(">アイスランド<").unwrap() < countries.find(">ドイツ<").unwrap(),
        "五十音順"
    );
    assert_eq!(countries.matches("<option").count(), 249);
    let zones = select("time_zone");
    assert!(
        zones.contains("<optgroup label=\"候補\">")
            && zones.contains("<optgroup label=\"ヨーロッパ\">"),
        "{zones}"
    );
    let likely = &zones[..zones.find("</optgroup>").unwrap()];
    assert!(
        likely.contains("value=\"Asia/Tokyo\" selected>日本時間 (UTC+09:00)")
            && likely.contains("value=\"UTC\""),
        "{likely}"
    );
    assert!(
        zones.contains("<option value=\"Europe/Berlin\">Berlin (UTC+0"),
        "{zones}"
    );
    assert_eq!(
        zones.matches("value=\"Asia/Tokyo\"").count(),
        1,
        "each zone once"
    );
    for token in [
        "autocomplete=\"name\"",
        "autocomplete=\"email\"",
        "autocomplete=\"organization\"",
    ] {
        assert!(html.contains(token), "{token}");
    }
    // The consent box sits beside its text and links the privacy notice.
    assert!(
        html.contains("<label class=\"check\" for=\"consent\"><input id=\"consent\""),
        "{html}"
    );
    assert!(
        html.contains("/privacy\" target=\"_blank\" rel=\"noopener\">個人情報の取り扱い</a>"),
        "{html}"
    );
    assert!(html.contains("<script src=\"/static/form.js\" defer></script>"));
    assert!(
        !html.contains("<span class=\"badge\">公開</span>"),
        "no “published” badge: {html}"
    );

    // An English page names countries in English (Japan still first), and a
    // guest sent back with an error keeps their country's zones suggested.
    let (_, html) = app.page("/events/regen-seminar?lang=en", None).await;
    assert!(
        html.contains(
            "<option value=\"JP\" selected>Japan</option><option value=\"AF\">Afghanistan</option>"
        ),
        "{html}"
    );
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let form = client
        .get(app.url("/events/regen-seminar?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = client
        .post(app.url("/events/regen-seminar/register"))
        .form(&[
            ("csrf_token", csrf_token(&form).as_str()),
            ("name", "Anna Schmidt"),
            ("email", "not-an-address"),
            ("organization", "Berlin Bio GmbH"),
            ("country", "DE"),
            ("time_zone", "Europe/Berlin"),
            ("language", "en"),
            ("consent", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("<option value=\"DE\" selected>Germany</option>"),
        "{html}"
    );
    let at = html.find("<select id=\"time_zone\"").unwrap();
    let likely = &html[at..at + html[at..].find("</optgroup>").unwrap()];
    assert!(
        likely.contains("value=\"Europe/Berlin\" selected")
            && likely.contains("value=\"Europe/Busingen\""),
        "{likely}"
    );
    assert!(
        html.contains("aria-invalid=\"true\" aria-describedby=\"email-error\""),
        "{html}"
    );

    // The script, the country zones it fetches, and the icon.
    let r = app.get("/static/form.js").await;
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let (status, map) = crate::helpers::json_of(app.get("/static/country-zones.json").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(map["JP"], json!(["Asia/Tokyo"]));
    assert_eq!(map["DE"][0], "Europe/Berlin");
    for icon in ["/favicon.ico", "/static/favicon.svg"] {
        let r = app.get(icon).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "image/svg+xml");
    }
}

async fn cards_and_buttons_say_how_many_seats_are_left(backend: Backend) {
    let app = spawn_app(backend).await;
    let (hall, _) = app.seed_basics().await;
    for (slug, day, capacity) in [
        ("full-night", "03", 1),
        ("few-seminar", "04", 12),
        ("roomy-forum", "05", 200),
    ] {
        let mut body = event_body(
            slug,
            &format!("2031-12-{day}T14:00:00+09:00"),
            &format!("2031-12-{day}T17:00:00+09:00"),
            &[&hall],
        );
        body["capacity"] = json!(capacity);
        body["title_en"] = json!(slug);
        app.create_event(&body).await;
    }
    let mut closed = event_body(
        "closed-talk",
        "2031-12-06T14:00:00+09:00",
        "2031-12-06T17:00:00+09:00",
        &[&hall],
    );
    closed["registration_closes_at"] = json!("2025-01-01T00:00:00+09:00");
    closed["title_en"] = json!("closed-talk");
    app.create_event(&closed).await;
    for (slug, n) in [("full-night", 1), ("few-seminar", 8)] {
        for i in 0..n {
            let (status, body) = app
                .api_post(
                    &format!("/api/v1/events/{slug}/registrations"),
                    &json!({"name": format!("Guest {i}"), "email": format!("g{i}@{slug}.example"), "organization": "Osaka Bio",
                            "country": "JP", "time_zone": "Asia/Tokyo", "language": "ja", "consent": true}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
    }
    let (_, home) = app.page("/?lang=en", None).await;
    let card = |slug: &str| {
        let at = home.find(&format!("href=\"/events/{slug}\"")).unwrap();
        let open = home[..at].rfind("<article").unwrap();
        home[open..at].to_owned()
    };
    assert!(
        card("full-night")
            .contains("<span class=\"badge availability full\">Full: waitlist open</span>"),
        "{home}"
    );
    assert!(
        card("few-seminar")
            .contains("<span class=\"badge availability few\">Few seats left</span>"),
        "{home}"
    );
    assert!(
        card("closed-talk")
            .contains("<span class=\"badge availability closed\">Registration closed</span>"),
        "{home}"
    );
    assert!(!card("roomy-forum").contains("availability"), "{home}");
    // The full event's button says what it does.
    let (_, html) = app.page("/events/full-night?lang=en", None).await;
    assert!(
        html.contains("<button type=\"submit\" class=\"primary\">Join the waitlist</button>"),
        "{html}"
    );
    let (_, html) = app.page("/events/roomy-forum", None).await;
    assert!(
        html.contains("<button type=\"submit\" class=\"primary\">申し込む</button>"),
        "{html}"
    );
    // The footer says times are JST, or JST and the visitor's zone.
    assert!(html.contains("日時は日本時間（JST）です。"), "{html}");
    let (_, html) = app.page("/events/roomy-forum?tz=Europe/Berlin", None).await;
    assert!(
        html.contains("選んだタイムゾーンの両方") && html.contains("(Berlin)"),
        "{html}"
    );
    assert!(!html.contains("(Asia/Tokyo)"), "{html}");
    app.send_all_mail().await;
}
