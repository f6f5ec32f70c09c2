//! The security hardening: nothing that authenticates a guest is handed to
//! a request that did not just create it, registered emails cannot be
//! discovered, logins are throttled and bounded, credentials can be
//! revoked, and headers, origins and methods are checked.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, csrf_token, spawn_app};
use crate::registrations::{event_with_capacity, guest, register_public};

both_backends!(
    a_repeated_registration_hands_out_no_link,
    registered_emails_cannot_be_discovered,
);

/// Sends the registration form as a browser would; the answer, not followed.
async fn submit_form(app: &TestApp, slug: &str, body: &Value) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = page_of(&client, app.url(&format!("/events/{slug}"))).await;
    let token = csrf_token(&page);
    let mut form: Vec<(String, String)> = vec![("csrf_token".into(), token)];
    for (k, v) in body.as_object().unwrap() {
        let v = match v {
            Value::String(s) => s.clone(),
            Value::Bool(true) => "on".into(),
            other => other.to_string(),
        };
        form.push((k.clone(), v));
    }
    client
        .post(app.url(&format!("/events/{slug}/register")))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// A page's HTML as `client` sees it.
async fn page_of(client: &reqwest::Client, url: impl reqwest::IntoUrl) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

/// Everything an answer shows: status, headers that could carry a link, body.
async fn whole(r: reqwest::Response) -> (StatusCode, Option<String>, String) {
    let status = r.status();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    (status, location, r.text().await.unwrap())
}

async fn a_repeated_registration_hands_out_no_link(backend: Backend) {
    let app = spawn_app(backend).await;
    event_with_capacity(&app, "partnering-day", 10, 20).await;
    let victim = guest("hanako@osaka-bio.example.jp", "山田 花子");
    let (status, answer) = register_public(&app, "partnering-day", &victim).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(answer, json!({"status": "received"}));
    app.worker.run_until_idle(Utc::now()).await.unwrap();
    let confirmation = app.smtp.received();
    assert_eq!(confirmation.len(), 1);
    let victims_link = confirmation[0].manage_link();
    let victims_token = victims_link.rsplit('/').next().unwrap().to_owned();

    // The attacker knows her name, email and organization: the API and the
    // form answer them exactly as anyone else, with no token of hers.
    let (status, answer) = register_public(&app, "partnering-day", &victim).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(answer, json!({"status": "received"}));
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/events/partnering-day/registrations"))
        .json(&victim)
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("location").is_none());
    let (status, location, body) = whole(submit_form(&app, "partnering-day", &victim).await).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some("/events/partnering-day/registered")
    );
    assert!(!body.contains(&victims_token));
    let page = app.browse("/events/partnering-day/registered").await;
    assert!(!page.contains(&victims_token), "{page}");

    // Only her mailbox hears of it: one "already registered" message with
    // her link, however often the form is sent within the hour.
    app.worker.run_until_idle(Utc::now()).await.unwrap();
    let mail = app.smtp.received();
    assert_eq!(mail.len(), 2, "one notice for three repeats");
    assert!(mail[1].is_to("hanako@osaka-bio.example.jp"));
    assert_eq!(mail[1].subject(), "【登録済みのご案内】再生医療セミナー");
    assert_eq!(mail[1].manage_link(), victims_link);
    let text = mail[1].parsed().body_text(0).unwrap().into_owned();
    assert!(text.contains("参加確定"), "tells her status: {text}");

    // An hour later, a repeat tells her again.
    let hour_ago = musubi::db::now() - Duration::minutes(61);
    let pool = app.pool.clone();
    tokio::task::spawn_blocking(move || {
        use musubi::db::schema::outbox;
        let mut conn = pool.get().unwrap();
        diesel::update(outbox::table.filter(outbox::kind.eq("already_registered")))
            .set(outbox::created_at.eq(hour_ago))
            .execute(&mut conn)
            .unwrap();
    })
    .await
    .unwrap();
    let (status, _) = register_public(&app, "partnering-day", &victim).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let round = app.worker.run_until_idle(Utc::now()).await.unwrap();
    assert_eq!(app.smtp.received().len(), 3, "{round:?}");

    // An organizer's token still sees the record with its links.
    let (status, record) = app
        .api_post("/api/v1/events/partnering-day/registrations", &victim)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{record}");
    assert_eq!(record["status"], "confirmed");
    assert!(
        record["manage_url"]
            .as_str()
            .unwrap()
            .ends_with(&victims_token)
    );
}

async fn registered_emails_cannot_be_discovered(backend: Backend) {
    let app = spawn_app(backend).await;
    event_with_capacity(&app, "partnering-day", 1, 20).await;
    let known = guest("hanako@osaka-bio.example.jp", "山田 花子");
    register_public(&app, "partnering-day", &known).await;
    // Other details for the known email, a repeat, a new guest who gets the
    // waitlist: one answer for all.
    let mut other_details = known.clone();
    other_details["name"] = json!("Someone Else");
    other_details["organization"] = json!("Attacker Ltd");
    let new_guest = guest("taro@kansai-med.example.jp", "佐藤 太郎");
    let mut api_answers = Vec::new();
    let mut form_answers = Vec::new();
    for body in [&known, &other_details, &new_guest] {
        api_answers.push(register_public(&app, "partnering-day", body).await);
    }
    let fresh = guest("jiro@kobe-pharma.example.jp", "鈴木 次郎");
    for body in [&known, &other_details, &fresh] {
        form_answers.push(whole(submit_form(&app, "partnering-day", body).await).await);
    }
    for a in &api_answers {
        assert_eq!(a, &(StatusCode::ACCEPTED, json!({"status": "received"})));
    }
    for a in &form_answers {
        assert_eq!(a, &form_answers[0]);
    }
    assert_eq!(form_answers[0].0, StatusCode::SEE_OTHER);

    // The mailboxes learn what happened: Hanako her notice (once), Taro and
    // Jiro that they are waitlisted.
    app.worker.run_until_idle(Utc::now()).await.unwrap();
    let mail = app.smtp.received();
    let to = |address: &str| -> Vec<String> {
        mail.iter()
            .filter(|m| m.is_to(address))
            .map(|m| m.subject())
            .collect()
    };
    assert_eq!(
        to("hanako@osaka-bio.example.jp"),
        [
            "【参加登録完了】再生医療セミナー",
            "【登録済みのご案内】再生医療セミナー"
        ]
    );
    assert_eq!(
        to("taro@kansai-med.example.jp"),
        ["【キャンセル待ち】再生医療セミナー"]
    );
    assert_eq!(
        to("jiro@kobe-pharma.example.jp"),
        ["【キャンセル待ち】再生医療セミナー"]
    );
    assert_eq!(mail.len(), 4);
}

/// A client from its own loopback address (127.0.0.0/8 all reaches this
/// machine), with its own cookies, not following redirects.
fn client_from(last_octet: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(std::net::IpAddr::from([127, 0, 0, last_octet]))
        .build()
        .unwrap()
}

/// One sign-in attempt through the login form.
async fn sign_in(
    app_address: &str,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let page = page_of(client, format!("{app_address}/admin/login")).await;
    client
        .post(format!("{app_address}/admin/login"))
        .form(&[
            ("csrf_token", csrf_token(&page).as_str()),
            ("email", email),
            ("password", password),
            ("next", "/admin"),
        ])
        .send()
        .await
        .unwrap()
}

fn retry_after(r: &reqwest::Response) -> u64 {
    r.headers()
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

const KENJI: &str = "kenji@osaka-pref.example.jp";
const KENJI_PASSWORD: &str = "大阪府庁の長い合言葉-2031";

async fn create_user(app: &TestApp, email: &'static str, password: &'static str) {
    let pool = app.pool.clone();
    tokio::task::spawn_blocking(move || {
        musubi::service::accounts::create_user(
            &mut pool.get().unwrap(),
            email,
            "鈴木 健二",
            password,
        )
        .unwrap();
    })
    .await
    .unwrap();
}

both_backends!(
    sign_in_is_throttled_per_account_and_per_address,
    unknown_accounts_and_wrong_passwords_look_alike,
    credentials_can_be_revoked,
);

async fn sign_in_is_throttled_per_account_and_per_address(backend: Backend) {
    use crate::helpers::{ORGANIZER_EMAIL, ORGANIZER_PASSWORD};
    let app = spawn_app(backend).await;
    create_user(&app, KENJI, KENJI_PASSWORD).await;
    let a = &app.address;

    // Six wrong passwords for the organizer's account from one address...
    let attacker = client_from(2);
    for _ in 0..6 {
        let r = sign_in(a, &attacker, ORGANIZER_EMAIL, "wrong password!!").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // ...lock the account for everyone, even with the right password.
    let owner = client_from(3);
    let r = sign_in(a, &owner, ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&r);
    assert!((1..=15 * 60 + 1).contains(&wait), "{wait}");
    // Other accounts are untouched from other addresses.
    let r = sign_in(a, &owner, KENJI, KENJI_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Six failures from one address, each on another (unknown) account,
    // lock that address, even for a right password.
    let sprayer = client_from(4);
    for i in 0..6 {
        let r = sign_in(
            a,
            &sprayer,
            &format!("guess{i}@example.jp"),
            "password123456",
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = sign_in(a, &sprayer, KENJI, KENJI_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&r) >= 1);

    // A second instance on the same database sees the same lockout.
    let mut settings = app.settings.clone();
    settings.run_worker = false;
    let second = musubi::startup::Application::build(settings).unwrap();
    let second_address = format!("http://127.0.0.1:{}", second.port());
    tokio::spawn(second.run_until_stopped());
    let r = sign_in(
        &second_address,
        &client_from(5),
        ORGANIZER_EMAIL,
        ORGANIZER_PASSWORD,
    )
    .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);

    // Once the window has passed, the owner signs in.
    let pool = app.pool.clone();
    tokio::task::spawn_blocking(move || {
        use musubi::db::schema::login_failures;
        let earlier = musubi::db::now() - Duration::minutes(16);
        diesel::update(login_failures::table)
            .set(login_failures::failed_at.eq(earlier))
            .execute(&mut pool.get().unwrap())
            .unwrap();
    })
    .await
    .unwrap();
    let r = sign_in(a, &owner, ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = sign_in(a, &sprayer, KENJI, KENJI_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

async fn unknown_accounts_and_wrong_passwords_look_alike(backend: Backend) {
    use crate::helpers::ORGANIZER_EMAIL;
    let app = spawn_app(backend).await;
    let a = &app.address;
    let mut timings: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut answers = Vec::new();
    for round in 0..6u8 {
        for (i, email) in [ORGANIZER_EMAIL, "nobody@link-j-west.example"]
            .into_iter()
            .enumerate()
        {
            // Each from its own address, so no lockout interferes.
            let client = client_from(10 + round * 2 + i as u8);
            let started = std::time::Instant::now();
            let r = sign_in(a, &client, email, "wrong password!!").await;
            let status = r.status();
            let body = r.text().await.unwrap().replace(email, "EMAIL");
            let body = body.replace(&csrf_token(&body), "TOKEN");
            timings[i].push(started.elapsed().as_secs_f64());
            answers.push((i, status, body));
        }
    }
    for (_, status, body) in &answers {
        assert_eq!(*status, StatusCode::UNAUTHORIZED);
        assert_eq!(body, &answers[0].2, "same page for both");
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (known, unknown) = (median(&mut timings[0]), median(&mut timings[1]));
    // Without the dummy hash an unknown account would answer ~20 times
    // faster; the tolerance is for a busy machine running tests side by side.
    let ratio = known / unknown;
    assert!(
        (0.33..3.0).contains(&ratio),
        "known {known:.3}s vs unknown {unknown:.3}s"
    );
}

async fn credentials_can_be_revoked(backend: Backend) {
    use crate::helpers::{ORGANIZER_EMAIL, ORGANIZER_PASSWORD};
    let app = spawn_app(backend).await;
    let a = &app.address;
    let new_token = || {
        let pool = app.pool.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                musubi::service::accounts::create_token(&mut pool.get().unwrap(), ORGANIZER_EMAIL)
                    .unwrap()
                    .expose()
                    .to_owned()
            })
            .await
            .unwrap()
        }
    };
    let api_status = |token: String| {
        let url = app.url("/api/v1/events");
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let signed_in = |client: reqwest::Client| {
        let url = app.url("/admin");
        async move { client.get(url).send().await.unwrap().status() == StatusCode::OK }
    };
    let laptop = client_from(20);
    let phone = client_from(21);
    for c in [&laptop, &phone] {
        let r = sign_in(a, c, ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let first = app.token.clone();
    let second = new_token().await;
    assert_eq!(api_status(first.clone()).await, StatusCode::OK);

    // The account page lists both tokens with creation and last use, never a secret.
    let page = page_of(&laptop, app.url("/admin/account")).await;
    assert_eq!(page.matches("/revoke\"").count(), 2, "{page}");
    assert!(!page.contains(&first) && !page.contains(&second));
    assert!(page.contains("未使用"), "the second was never used: {page}");

    // Revoked on the page: that token is refused, the other still works.
    let ids = [token_id(&app, &first).await, token_id(&app, &second).await];
    let r = laptop
        .post(app.url(&format!("/admin/account/tokens/{}/revoke", ids[1])))
        .form(&[("csrf_token", csrf_token(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(api_status(second).await, StatusCode::UNAUTHORIZED);
    assert_eq!(api_status(first.clone()).await, StatusCode::OK);

    // From the command line: list, revoke by id, revoke all of a user.
    let db = app.database_url.to_string();
    let out = crate::cli::musubi(
        &["admin", "list-tokens", "--email", ORGANIZER_EMAIL],
        &[("MUSUBI_DATABASE_URL", &db)],
        "",
    );
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{listed}");
    assert!(
        listed.contains(&ids[0]) && !listed.contains(&first),
        "{listed}"
    );
    let out = crate::cli::musubi(
        &["admin", "revoke-token", "--id", &ids[0]],
        &[("MUSUBI_DATABASE_URL", &db)],
        "",
    );
    assert!(out.status.success());
    assert_eq!(api_status(first).await, StatusCode::UNAUTHORIZED);
    let (third, fourth) = (new_token().await, new_token().await);
    let out = crate::cli::musubi(
        &["admin", "revoke-token", "--email", ORGANIZER_EMAIL, "--all"],
        &[("MUSUBI_DATABASE_URL", &db)],
        "",
    );
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "revoked 2 token(s)"
    );
    assert_eq!(api_status(third).await, StatusCode::UNAUTHORIZED);
    assert_eq!(api_status(fourth).await, StatusCode::UNAUTHORIZED);
    let out = crate::cli::musubi(
        &["admin", "revoke-token", "--id", "no-such-token"],
        &[("MUSUBI_DATABASE_URL", &db)],
        "",
    );
    assert_eq!(out.status.code(), Some(1));

    // Sign out everywhere, from the laptop: the phone is signed out too.
    assert!(signed_in(phone.clone()).await);
    let page = page_of(&laptop, app.url("/admin/account")).await;
    let r = laptop
        .post(app.url("/admin/account/sign-out-everywhere"))
        .form(&[("csrf_token", csrf_token(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!signed_in(phone.clone()).await);
    assert!(!signed_in(laptop.clone()).await);

    // A password reset ends every session and token of the account.
    let r = sign_in(a, &phone, ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let fifth = new_token().await;
    let out = crate::cli::musubi(
        &[
            "admin",
            "create-user",
            "--email",
            ORGANIZER_EMAIL,
            "--name",
            "山田 花子",
        ],
        &[("MUSUBI_DATABASE_URL", &db)],
        "a brand new passphrase 2031",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!signed_in(phone.clone()).await);
    assert_eq!(api_status(fifth).await, StatusCode::UNAUTHORIZED);
    let r = sign_in(a, &phone, ORGANIZER_EMAIL, "a brand new passphrase 2031").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

/// The id of an API token, found by its secret's hash as the app stores it.
async fn token_id(app: &TestApp, secret: &str) -> String {
    let pool = app.pool.clone();
    let hash = musubi::domain::Token::parse(secret)
        .unwrap()
        .hash()
        .as_str()
        .to_owned();
    tokio::task::spawn_blocking(move || {
        use musubi::db::schema::api_tokens;
        api_tokens::table
            .filter(api_tokens::token_hash.eq(hash))
            .select(api_tokens::id)
            .first::<String>(&mut pool.get().unwrap())
            .unwrap()
    })
    .await
    .unwrap()
}

both_backends!(concurrent_guesses_do_not_outrun_the_lockout);

/// Eight guesses at once, with eight hashing threads: each is counted
/// before its password is checked, so no more than the allowed failures
/// get a verdict and the rest are locked out.
async fn concurrent_guesses_do_not_outrun_the_lockout(backend: Backend) {
    use crate::helpers::{ORGANIZER_EMAIL, spawn_app_with};
    let app = spawn_app_with(backend, |s| s.password_hashers = 8).await;
    let mut pages = Vec::new();
    for i in 0..8u8 {
        let client = client_from(60 + i);
        let page = page_of(&client, app.url("/admin/login")).await;
        pages.push((client, csrf_token(&page)));
    }
    let guesses = pages.iter().map(|(client, token)| {
        client
            .post(app.url("/admin/login"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", ORGANIZER_EMAIL),
                ("password", "a wrong guess!!"),
            ])
            .send()
    });
    let statuses: Vec<StatusCode> = futures::future::join_all(guesses)
        .await
        .into_iter()
        .map(|r| r.unwrap().status())
        .collect();
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let locked = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(checked + locked, 8, "{statuses:?}");
    assert!(checked <= 6, "{checked} guesses checked: {statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_beyond_the_hashing_threads_are_refused_at_once() {
    use crate::helpers::spawn_app_with;
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.password_hashers = 1;
        s.login_max_failures = 0;
    })
    .await;
    let attempts = (0..24u8).map(|i| {
        let address = app.address.clone();
        async move {
            let client = client_from(100 + i);
            let r = sign_in(&address, &client, "someone@example.jp", "wrong password!!").await;
            let status = r.status();
            let retry = r.headers().get("retry-after").is_some();
            (status, retry)
        }
    });
    let answers = futures::future::join_all(attempts).await;
    let busy = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    let checked = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!(busy + checked, answers.len(), "{answers:?}");
    assert!(busy > 0 && checked > 0, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|(s, retry)| *s != StatusCode::SERVICE_UNAVAILABLE || *retry)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_security_headers_and_private_ones_are_not_stored() {
    use crate::helpers::spawn_app_with;
    use crate::registrations::register;
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.base_url = "https://events.link-j.example".into();
    })
    .await;
    event_with_capacity(&app, "partnering-day", 10, 20).await;
    let (_, record) = register(&app, "partnering-day", &guest("anna@example.de", "Anna")).await;
    let manage = record["manage_url"]
        .as_str()
        .unwrap()
        .replace("https://events.link-j.example", "");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (path, private) in [
        ("/", false),
        ("/calendar", false),
        ("/events/partnering-day", false),
        ("/venues/nakanoshima", false),
        ("/no-such-page", false),
        ("/admin/login", true),
        (manage.as_str(), true),
    ] {
        let r = client.get(app.url(path)).send().await.unwrap();
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(
            h["strict-transport-security"]
                .to_str()
                .unwrap()
                .starts_with("max-age="),
            "{path}"
        );
        let no_store = h
            .get("cache-control")
            .is_some_and(|v| v.to_str().unwrap().contains("no-store"));
        assert_eq!(no_store, private, "{path}");
        let html = r.text().await.unwrap();
        // Nothing inline for the CSP to refuse.
        assert!(!html.contains(" style=\""), "{path}: inline style");
        for script in html.split("<script").skip(1) {
            assert!(
                script.split('>').next().unwrap().contains("src="),
                "{path}: inline script"
            );
        }
    }
    // Over https, cookies carry the __Host- prefix (Secure, Path=/, no Domain).
    let r = client.get(app.url("/admin/login")).send().await.unwrap();
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .collect();
    let csrf = cookies
        .iter()
        .find(|c| c.starts_with("__Host-musubi_csrf="))
        .unwrap_or_else(|| panic!("{cookies:?}"));
    assert!(csrf.contains("Secure") && csrf.contains("Path=/") && !csrf.contains("Domain"));

    // A plain-http deployment sends no HSTS.
    let plain = spawn_app(Backend::Sqlite).await;
    let r = client.get(plain.url("/")).send().await.unwrap();
    assert!(r.headers().get("strict-transport-security").is_none());
    assert!(
        r.headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| c.to_str().unwrap().starts_with("musubi_"))
    );
    app.send_all_mail().await;
}

#[test]
fn templates_have_no_inline_scripts_or_styles() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
    let mut stack = vec![std::path::PathBuf::from(dir)];
    let mut pages = 0;
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            // Mail is not served under the CSP, and mail clients want inline styles.
            if !path.ends_with("email") {
                stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            }
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        pages += 1;
        assert!(
            !text.contains("style=") && !text.contains("<style"),
            "{}",
            path.display()
        );
        assert!(
            !text.contains("onclick=") && !text.contains("onsubmit="),
            "{}",
            path.display()
        );
        for script in text.split("<script").skip(1) {
            assert!(
                script.split('>').next().unwrap().contains("src="),
                "{}",
                path.display()
            );
        }
    }
    assert!(pages > 10);
}

both_backends!(forms_from_other_sites_and_non_json_api_bodies_are_refused);

async fn forms_from_other_sites_and_non_json_api_bodies_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    event_with_capacity(&app, "partnering-day", 10, 20).await;
    let page = app.browse("/events/partnering-day").await;
    let token = csrf_token(&page);
    let form = |email: &str| {
        vec![
            ("csrf_token".to_owned(), token.clone()),
            ("name".into(), "Anna Schmidt".into()),
            ("email".into(), email.to_owned()),
            ("organization".into(), "Berlin Pharma GmbH".into()),
            ("country".into(), "DE".into()),
            ("consent".into(), "on".into()),
        ]
    };
    // The right token and cookie, but sent from another site: refused.
    for (header, value) in [
        ("Origin", "https://evil.example"),
        ("Origin", "null"),
        ("Referer", "https://evil.example/page"),
    ] {
        let r = app
            .client
            .post(app.url("/events/partnering-day/register"))
            .header(header, value)
            .form(&form("anna@example.de"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{header}: {value}");
    }
    app.worker.run_until_idle(Utc::now()).await.unwrap();
    assert!(app.smtp.received().is_empty(), "nothing was registered");
    // From this site it goes through.
    let r = app
        .client
        .post(app.url("/events/partnering-day/register"))
        .header("Origin", app.address.as_str())
        .form(&form("anna@example.de"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // The API takes JSON bodies only.
    let body = serde_json::to_string(&guest("taro@example.jp", "佐藤 太郎")).unwrap();
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let mut r = reqwest::Client::new()
            .post(app.url("/api/v1/events/partnering-day/registrations"))
            .body(body.clone());
        if let Some(ct) = content_type {
            r = r.header("Content-Type", ct);
        }
        let r = r.send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        let answer: Value = r.json().await.unwrap();
        assert_eq!(answer["error"], "unsupported_media_type");
    }
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/events/partnering-day/registrations"))
        .header("Content-Type", "application/json; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    // A POST without a body needs no type.
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/events/partnering-day/cancel"))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    app.send_all_mail().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_answers_like_get_without_a_body() {
    use crate::registrations::register;
    let app = spawn_app(Backend::Sqlite).await;
    event_with_capacity(&app, "partnering-day", 10, 20).await;
    let (_, record) = register(&app, "partnering-day", &guest("anna@example.de", "Anna")).await;
    let manage = app.local(record["manage_url"].as_str().unwrap());
    let feed = app.local(record["feed_url"].as_str().unwrap());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut paths: Vec<String> = [
        "/",
        "/?lang=en",
        "/calendar",
        "/events/partnering-day",
        "/venues/nakanoshima",
        "/calendar.ics",
        "/events/partnering-day.ics",
        "/organizations/link-j-west/calendar.ics",
        "/venues/nakanoshima/calendar.ics",
        "/healthz",
        "/api/v1/events",
        "/api/v1/openapi.json",
        "/admin/login",
        "/admin",
        "/static/site.css",
        "/no-such-page",
    ]
    .iter()
    .map(|p| app.url(p))
    .collect();
    paths.extend([manage, feed]);
    for url in paths {
        let get = client.get(&url).send().await.unwrap();
        let head = client.head(&url).send().await.unwrap();
        assert_eq!(head.status(), get.status(), "{url}");
        assert_ne!(head.status(), StatusCode::METHOD_NOT_ALLOWED, "{url}");
        for name in ["content-type", "etag", "location"] {
            assert_eq!(
                head.headers().get(name),
                get.headers().get(name),
                "{url}: {name}"
            );
        }
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "{url}: HEAD has no body"
        );
    }
    app.send_all_mail().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_redirect_stays_inside_the_site() {
    use crate::helpers::{ORGANIZER_EMAIL, ORGANIZER_PASSWORD};
    let app = spawn_app(Backend::Sqlite).await;
    let r = app
        .get("/admin/login?next=/admin%0D%0ASet-Cookie:%20x=1")
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    for (next, expected) in [
        ("/admin/events/new", "/admin/events/new"),
        ("/admin\r\nSet-Cookie: x=1", ""),
        ("/admin\nLocation: https://evil.example", ""),
        ("//evil.example/admin", "/admin"),
        ("/\\evil.example", "/admin"),
        ("https://evil.example/admin", "/admin"),
        ("/administrator-phish", "/admin"),
    ] {
        let client = client_from(40);
        let page = page_of(&client, app.url("/admin/login")).await;
        let r = client
            .post(app.url("/admin/login"))
            .form(&[
                ("csrf_token", csrf_token(&page).as_str()),
                ("email", ORGANIZER_EMAIL),
                ("password", ORGANIZER_PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        if expected.is_empty() {
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{next:?}");
        } else {
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next:?}");
            assert_eq!(r.headers()["location"], expected, "{next:?}");
        }
    }
}

/// Behind a trusted reverse proxy the lockout counts the address the proxy
/// reports, so one guest cannot lock out everyone; from anyone else the
/// header is ignored, so nobody picks the address they are counted under.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lockout_counts_the_client_behind_a_trusted_proxy_only() {
    use crate::helpers::spawn_app_with;
    let behind_proxy = spawn_app_with(Backend::Sqlite, |s| {
        s.trusted_proxies = vec![musubi::domain::network::Network::parse("127.0.0.0/8").unwrap()];
    })
    .await;
    create_user(&behind_proxy, KENJI, KENJI_PASSWORD).await;
    let sign_in_as = |app: &TestApp, forwarded_for: &str, email: String, password: &str| {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(
                [(
                    "x-forwarded-for".parse().unwrap(),
                    forwarded_for.parse().unwrap(),
                )]
                .into_iter()
                .collect(),
            )
            .build()
            .unwrap();
        let (address, password) = (app.address.clone(), password.to_owned());
        async move { sign_in(&address, &client, &email, &password).await.status() }
    };
    for i in 0..6 {
        let s = sign_in_as(
            &behind_proxy,
            "198.51.100.1",
            format!("g{i}@example.jp"),
            "wrong password!!",
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let s = sign_in_as(&behind_proxy, "198.51.100.1", KENJI.into(), KENJI_PASSWORD).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "that guest is locked out");
    let s = sign_in_as(&behind_proxy, "198.51.100.2", KENJI.into(), KENJI_PASSWORD).await;
    assert_eq!(
        s,
        StatusCode::SEE_OTHER,
        "everyone else behind the proxy is not"
    );

    // Without a trusted proxy the header changes nothing.
    let direct = spawn_app(Backend::Sqlite).await;
    create_user(&direct, KENJI, KENJI_PASSWORD).await;
    for i in 0..6 {
        let forged = format!("203.0.113.{i}");
        let s = sign_in_as(
            &direct,
            &forged,
            format!("g{i}@example.jp"),
            "wrong password!!",
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let s = sign_in_as(&direct, "203.0.113.99", KENJI.into(), KENJI_PASSWORD).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
}
