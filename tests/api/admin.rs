use reqwest::StatusCode;

use crate::both_backends;
use crate::helpers::{
    Backend, ORGANIZER_EMAIL, ORGANIZER_PASSWORD, TestApp, csrf_token, spawn_app,
};

pub async fn login(app: &TestApp) {
    let page = app.get("/admin/login").await.text().await.unwrap();
    let token = csrf_token(&page);
    let r = app
        .client
        .post(app.url("/admin/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", ORGANIZER_EMAIL),
            ("password", ORGANIZER_PASSWORD),
            ("next", "/admin"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("musubi_session="));
    let cookie = cookie.expect("session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

async fn form_token(app: &TestApp, path: &str) -> String {
    let r = app.get(path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    csrf_token(&r.text().await.unwrap())
}

both_backends!(
    admin_requires_login_and_refuses_forged_forms,
    organizers_manage_everything_through_forms
);

async fn admin_requires_login_and_refuses_forged_forms(backend: Backend) {
    let app = spawn_app(backend).await;
    let r = app.get("/admin/events/new").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        "/admin/login?next=%2Fadmin%2Fevents%2Fnew"
    );

    // A login without the CSRF token, or with another one, is refused.
    let token = form_token(&app, "/admin/login").await;
    let r = app
        .client
        .post(app.url("/admin/login"))
        .form(&[("email", ORGANIZER_EMAIL), ("password", ORGANIZER_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let stranger = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = stranger
        .post(app.url("/admin/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", ORGANIZER_EMAIL),
            ("password", ORGANIZER_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "a token without its cookie is worthless"
    );

    let r = app
        .client
        .post(app.url("/admin/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", ORGANIZER_EMAIL),
            ("password", "wrong password!!"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("メールアドレスまたはパスワードが違います")
    );
    assert_eq!(
        app.get("/admin").await.status(),
        StatusCode::SEE_OTHER,
        "still signed out"
    );

    login(&app).await;
    let dashboard = app.get("/admin").await;
    assert_eq!(dashboard.status(), StatusCode::OK);
    assert!(dashboard.text().await.unwrap().contains("山田 花子"));

    // Signed in, a form without a valid token is still refused and stores nothing.
    let r = app
        .client
        .post(app.url("/admin/organizations"))
        .form(&[
            ("csrf_token", "forged"),
            ("slug", "evil"),
            ("name_ja", "悪"),
            ("name_en", "Evil"),
            ("kind", "company"),
            ("country", "JP"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.api_get_public("/api/v1/organizations/evil").await.0,
        StatusCode::NOT_FOUND
    );

    let token = form_token(&app, "/admin").await;
    let r = app
        .client
        .post(app.url("/admin/logout"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/admin").await.status(),
        StatusCode::SEE_OTHER,
        "signed out"
    );
}

async fn organizers_manage_everything_through_forms(backend: Backend) {
    let app = spawn_app(backend).await;
    login(&app).await;
    let post = |path: &'static str, token: String, fields: Vec<(&'static str, &'static str)>| {
        let app = &app;
        async move {
            let mut form = vec![("csrf_token", token.as_str())];
            form.extend(fields.iter().map(|(k, v)| (*k, *v)));
            let r = app
                .client
                .post(app.url(path))
                .form(&form)
                .send()
                .await
                .unwrap();
            (
                r.status(),
                r.headers()
                    .get("location")
                    .map(|l| l.to_str().unwrap().to_owned()),
                r.text().await.unwrap(),
            )
        }
    };

    // Invalid input comes back with what was typed and each problem named.
    let token = form_token(&app, "/admin/organizations/new").await;
    let (status, _, page) = post(
        "/admin/organizations",
        token.clone(),
        vec![
            ("slug", "Link J"),
            ("name_ja", "LINK-J WEST"),
            ("name_en", ""),
            ("kind", "organizer"),
            ("country", "JPN"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("value=\"Link J\"") && page.contains("value=\"LINK-J WEST\""),
        "input kept"
    );
    assert!(
        page.contains("半角英小文字・数字・ハイフン") && page.contains("ISO 3166-1"),
        "{page}"
    );
    assert!(!page.contains("field."), "every label is translated");

    for (slug, ja, en, kind) in [
        ("link-j-west", "LINK-J WEST", "LINK-J WEST", "organizer"),
        ("osaka-pref", "大阪府", "Osaka Prefecture", "government"),
    ] {
        let (status, location, body) = post(
            "/admin/organizations",
            token.clone(),
            vec![
                ("slug", slug),
                ("name_ja", ja),
                ("name_en", en),
                ("kind", kind),
                ("country", "JP"),
                ("time_zone", "Asia/Tokyo"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        assert_eq!(location.as_deref(), Some("/admin"));
    }
    let (status, _, _) = post(
        "/admin/organizations/osaka-pref",
        token.clone(),
        vec![
            ("slug", "osaka-pref"),
            ("name_ja", "大阪府"),
            ("name_en", "Osaka Prefectural Government"),
            ("kind", "government"),
            ("country", "JP"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.api_get_public("/api/v1/organizations/osaka-pref")
            .await
            .1["name_en"],
        "Osaka Prefectural Government"
    );

    let (status, location, _) = post(
        "/admin/venues",
        token.clone(),
        vec![
            ("slug", "kento"),
            ("name_ja", "健都イノベーションハブ"),
            ("name_en", "Kento Innovation Hub"),
            ("address_ja", "摂津市千里丘新町"),
            ("address_en", "Senriokashinmachi, Settsu"),
            ("area", "Kento"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/admin/venues/kento/edit"));
    let edit = app
        .get("/admin/venues/kento/edit")
        .await
        .text()
        .await
        .unwrap();
    assert!(edit.contains("action=\"/admin/venues/kento/rooms\""));
    let (status, _, page) = post(
        "/admin/venues/kento/rooms",
        token.clone(),
        vec![
            ("name_ja", "多目的室"),
            ("name_en", "Multipurpose Room"),
            ("capacity", "many"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("value=\"many\""));
    let (status, _, _) = post(
        "/admin/venues/kento/rooms",
        token.clone(),
        vec![
            ("name_ja", "多目的室"),
            ("name_en", "Multipurpose Room"),
            ("capacity", "120"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, venue) = app.api_get_public("/api/v1/venues/kento").await;
    let room_id = venue["rooms"][0]["id"].as_str().unwrap().to_owned();
    let room_id: &'static str = Box::leak(room_id.into_boxed_str());

    // An event entered as wall-clock time in its own zone (Berlin, summer).
    let form_page = app.get("/admin/events/new").await.text().await.unwrap();
    assert!(
        form_page.contains(room_id) && form_page.contains("osaka-pref"),
        "rooms and organizers are offered"
    );
    let event = vec![
        ("slug", "kento-forum"),
        ("title_ja", "健都フォーラム"),
        ("title_en", "Kento Forum"),
        ("kind", "seminar"),
        ("time_zone", "Europe/Berlin"),
        ("starts_at", "2031-07-01T09:00"),
        ("ends_at", "2031-07-01T11:00"),
        ("organizer_slugs", "link-j-west"),
        ("organizer_slugs", "osaka-pref"),
        ("room_ids", room_id),
        ("capacity", "100"),
        ("status", "draft"),
        ("description_ja", "説明"),
        ("description_en", "About"),
    ];
    let (status, _, body) = post("/admin/events", token.clone(), event.clone()).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let (_, e) = app.api_get("/api/v1/events/kento-forum").await;
    assert_eq!(e["starts_at"], "2031-07-01T09:00:00+02:00");
    assert_eq!(
        e["organizer_slugs"],
        serde_json::json!(["link-j-west", "osaka-pref"])
    );
    assert_eq!(e["status"], "draft");

    // The same room at the same time: 409, shown on the form.
    let mut clash = event.clone();
    clash[0] = ("slug", "clash");
    let (status, _, page) = post("/admin/events", token.clone(), clash).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        page.contains("多目的室") && page.contains("「健都フォーラム」"),
        "the conflict names the room and the event in the page's language: {page}"
    );
    // A wall-clock time that does not exist in Berlin (spring forward).
    let mut gap = event.clone();
    gap[0] = ("slug", "gap");
    gap[5] = ("starts_at", "2031-03-30T02:30");
    gap[6] = ("ends_at", "2031-03-30T04:00");
    let (status, _, page) = post("/admin/events", token.clone(), gap).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Europe/Berlin"), "the gap is explained");

    // The edit form shows the stored wall-clock time and carries the revision.
    let edit = app
        .get("/admin/events/kento-forum/edit")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        edit.contains("value=\"2031-07-01T09:00\"")
            && edit.contains("name=\"revision\" value=\"0\"")
    );

    let (status, _, _) = post("/admin/events/kento-forum/publish", token.clone(), vec![]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, e) = app.api_get_public("/api/v1/events/kento-forum").await;
    assert_eq!(
        (e["status"].as_str(), e["revision"].as_i64()),
        (Some("published"), Some(1))
    );

    // Editing with the old revision is refused: someone else changed it meanwhile.
    let mut stale = event.clone();
    stale.push(("revision", "0"));
    let (status, _, page) = post("/admin/events/kento-forum", token.clone(), stale).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("現在のリビジョン: 1"), "{page}");

    let (status, _, _) = post("/admin/events/kento-forum/cancel", token.clone(), vec![]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.api_get_public("/api/v1/events/kento-forum").await.1["status"],
        "cancelled"
    );
    let (status, _, _) = post("/admin/events/kento-forum/publish", "forged".into(), vec![]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
