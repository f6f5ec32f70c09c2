//! The OpenAPI document, derived from the handlers' `#[utoipa::path]`
//! attributes and the request and answer types: what is served at
//! `/api/v1/openapi.json` is what the code does, and a test validates real
//! answers of every operation against it.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{events, meetings, organizations, partnering, registrations, venues};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "musubi API",
        version = "1",
        description = "Joint events, organizations and venues of LINK-J WEST and Osaka \
            Prefecture. Reads of public data need no token; drafts and all changes need \
            `Authorization: Bearer <token>` (create one with `musubi admin create-token \
            --email E`). Times are RFC 3339 with offset, written in the event's IANA zone \
            (Asia/Tokyo by default). PATCH bodies are JSON merge patches (RFC 7396) over the \
            stored record, validated whole. Request bodies must be JSON (`Content-Type: \
            application/json`); any other body is refused with 415. Any operation may answer \
            503 with `Retry-After` while the database is unreachable."
    ),
    servers((url = "/api/v1")),
    paths(
        organizations::list,
        organizations::get,
        organizations::create,
        organizations::update,
        venues::list,
        venues::get,
        venues::create,
        venues::update,
        venues::add_room,
        venues::update_room,
        events::list,
        events::get,
        events::create,
        events::update,
        events::cancel,
        registrations::create,
        registrations::list,
        meetings::list,
        meetings::get,
        meetings::create,
        meetings::update,
        meetings::cancel,
        partnering::get_settings,
        partnering::put_settings,
        partnering::participants::list,
        partnering::participants::put_profile,
        partnering::requests::list,
        partnering::requests::create,
        partnering::requests::update,
        partnering::requests::act,
        partnering::schedule::schedule,
        partnering::schedule::plan,
    ),
    modifiers(&BearerToken, &AnyOperation),
    tags(
        (name = "organizations", description = "The organizations that run and join events"),
        (name = "venues", description = "Venues and their rooms"),
        (name = "events", description = "Joint events"),
        (name = "registrations", description = "Registering for an event"),
        (name = "meetings", description = "Private business meetings with overseas companies (organizers only)"),
        (name = "partnering", description = "Partnering days: settings, participants' profiles, meeting requests (organizers only)"),
    )
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// What any operation may answer besides its own: 500 (an unexpected
/// error) and 503 (the database does not answer; with `Retry-After`), and
/// `Retry-After` on every 429.
struct AnyOperation;

impl Modify for AnyOperation {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, ResponseBuilder};
        let error = |description: &str, retry_after: bool| {
            let mut response = ResponseBuilder::new().description(description).content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Error")))
                    .build(),
            );
            if retry_after {
                response = response.header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .schema(
                            utoipa::openapi::ObjectBuilder::new()
                                .schema_type(utoipa::openapi::schema::Type::Integer),
                        )
                        .description(Some("Seconds to wait before trying again"))
                        .build(),
                );
            }
            response.build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.post, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                let responses = &mut operation.responses.responses;
                responses.insert(
                    "500".into(),
                    error("An unexpected error (logged)", false).into(),
                );
                responses.insert(
                    "503".into(),
                    error("The database does not answer, or sign-in is busy", true).into(),
                );
                if let Some(utoipa::openapi::RefOr::T(limited)) = responses.get_mut("429") {
                    *limited = error("Too many requests from this client", true);
                }
            }
        }
    }
}

/// The document as served (built once; 500 if it cannot be built).
pub async fn serve() -> HttpResponse {
    static JSON: OnceLock<Option<String>> = OnceLock::new();
    let json = JSON.get_or_init(|| ApiDoc::openapi().to_pretty_json().ok());
    match json {
        Some(json) => HttpResponse::Ok()
            .content_type("application/json")
            .insert_header(("Cache-Control", "public, max-age=3600"))
            .body(json.clone()),
        None => HttpResponse::InternalServerError().finish(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every route of the API is in the document, and nothing else.
    #[test]
    fn the_document_names_every_operation() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        if let Ok(path) = std::env::var("MUSUBI_DUMP_OPENAPI") {
            std::fs::write(path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
        }
        let mut operations: Vec<String> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .unwrap()
                    .keys()
                    .map(move |method| format!("{} {path}", method.to_uppercase()))
            })
            .collect();
        operations.sort();
        assert_eq!(
            operations,
            [
                "GET /events",
                "GET /events/{slug}",
                "GET /events/{slug}/partnering",
                "GET /events/{slug}/partnering/participants",
                "GET /events/{slug}/partnering/plan",
                "GET /events/{slug}/partnering/requests",
                "GET /events/{slug}/registrations",
                "GET /meetings",
                "GET /meetings/{id}",
                "GET /organizations",
                "GET /organizations/{slug}",
                "GET /venues",
                "GET /venues/{slug}",
                "PATCH /events/{slug}",
                "PATCH /events/{slug}/partnering/requests/{id}",
                "PATCH /meetings/{id}",
                "PATCH /organizations/{slug}",
                "PATCH /rooms/{id}",
                "PATCH /venues/{slug}",
                "POST /events",
                "POST /events/{slug}/cancel",
                "POST /events/{slug}/partnering/requests",
                "POST /events/{slug}/partnering/requests/{id}/{action}",
                "POST /events/{slug}/partnering/schedule",
                "POST /events/{slug}/registrations",
                "POST /meetings",
                "POST /meetings/{id}/cancel",
                "POST /organizations",
                "POST /venues",
                "POST /venues/{slug}/rooms",
                "PUT /events/{slug}/partnering",
                "PUT /events/{slug}/partnering/participants/{id}/profile",
            ]
        );
        assert_eq!(doc["openapi"], "3.1.0");
    }

    /// The meeting body and answer carry the fields other programs rely on.
    #[test]
    fn meetings_are_documented_with_every_field() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let properties = |schema: &str| -> Vec<String> {
            let mut names: Vec<String> = doc["components"]["schemas"][schema]["properties"]
                .as_object()
                .unwrap_or_else(|| panic!("{schema} is documented"))
                .keys()
                .cloned()
                .collect();
            names.sort();
            names
        };
        let body = properties("MeetingInput");
        for field in [
            "title_ja",
            "title_en",
            "agenda",
            "starts_at",
            "ends_at",
            "time_zone",
            "room_id",
            "online_url",
            "event_slug",
            "interpreter",
            "allow_attendee_conflicts",
            "attendees",
        ] {
            assert!(body.contains(&field.to_owned()), "{field} in {body:?}");
        }
        assert_eq!(
            properties("MeetingAttendeeInput"),
            [
                "country",
                "email",
                "language",
                "name",
                "organization",
                "organization_slug",
                "time_zone"
            ]
        );
        let answer = properties("Meeting");
        for field in ["id", "revision", "status", "attendees"] {
            assert!(answer.contains(&field.to_owned()), "{field} in {answer:?}");
        }
        let attendee = properties("MeetingAttendee");
        for field in ["id", "partstat", "manage_url"] {
            assert!(
                attendee.contains(&field.to_owned()),
                "{field} in {attendee:?}"
            );
        }
    }
}
