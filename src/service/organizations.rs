use serde::{Deserialize, Serialize};

use super::fields::opt_text;
use crate::db::organizations::{self as orgs, NewOrganization, Organization, OrganizationChanges};
use crate::db::{self, DbConn, write_tx};
use crate::domain::{
    Country, FieldError, Invalid, Name, OrganizationId, OrganizationKind, Slug, TimeZone,
    Validator, Website,
};
use crate::error::AppError;

/// An organization as submitted, before validation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = OrganizationInput)]
#[serde(deny_unknown_fields)]
pub struct OrganizationFields {
    #[serde(default, deserialize_with = "opt_text")]
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub name_ja: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub name_en: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(value_type = Option<OrganizationKind>)]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(example = "JP")]
    pub country: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(example = "Asia/Tokyo")]
    pub time_zone: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub website: Option<String>,
}

#[derive(Debug, Clone)]
pub struct OrganizationInput {
    pub slug: Slug,
    pub name_ja: Name,
    pub name_en: Name,
    pub kind: OrganizationKind,
    pub country: Country,
    pub time_zone: TimeZone,
    pub website: Option<Website>,
}

impl TryFrom<OrganizationFields> for OrganizationInput {
    type Error = Vec<FieldError>;

    fn try_from(f: OrganizationFields) -> Result<Self, Self::Error> {
        let mut v = Validator::new();
        let text = |o: &Option<String>| o.clone().unwrap_or_default();
        let slug = v.check("slug", Slug::parse(&text(&f.slug)));
        let name_ja = v.check("name_ja", Name::parse(&text(&f.name_ja)));
        let name_en = v.check("name_en", Name::parse(&text(&f.name_en)));
        let kind = v.check("kind", OrganizationKind::parse(&text(&f.kind)));
        let country = v.check("country", Country::parse(&text(&f.country)));
        let time_zone = v.check(
            "time_zone",
            f.time_zone
                .as_deref()
                .map_or(Ok(TimeZone::TOKYO), TimeZone::parse),
        );
        let website = v.check(
            "website",
            f.website.as_deref().map(Website::parse).transpose(),
        );
        v.finish()?;
        match (slug, name_ja, name_en, kind, country, time_zone, website) {
            (
                Some(slug),
                Some(name_ja),
                Some(name_en),
                Some(kind),
                Some(country),
                Some(time_zone),
                Some(website),
            ) => Ok(Self {
                slug,
                name_ja,
                name_en,
                kind,
                country,
                time_zone,
                website,
            }),
            _ => unreachable_validation(),
        }
    }
}

/// `Validator::finish` returned Ok, so every field parsed; this cannot be
/// reached, and says so instead of panicking if the code above is changed.
pub(crate) fn unreachable_validation<T>() -> Result<T, Vec<FieldError>> {
    Err(incomplete())
}

pub(crate) fn incomplete() -> Vec<FieldError> {
    vec![FieldError {
        field: "body".into(),
        problem: Invalid::new("invalid.required"),
    }]
}

impl OrganizationFields {
    pub fn of(o: &Organization) -> Self {
        Self {
            slug: Some(o.slug.clone()),
            name_ja: Some(o.name_ja.clone()),
            name_en: Some(o.name_en.clone()),
            kind: Some(o.kind.to_string()),
            country: Some(o.country.clone()),
            time_zone: Some(o.time_zone.clone()),
            website: o.website.clone(),
        }
    }

    pub fn validate(self) -> Result<OrganizationInput, AppError> {
        OrganizationInput::try_from(self).map_err(AppError::Validation)
    }
}

fn slug_conflict() -> AppError {
    AppError::conflict(Some("slug"), Invalid::new("conflict.slug_taken"))
}

#[tracing::instrument(skip(conn, input), fields(slug = %input.slug))]
pub fn create(conn: &mut DbConn, input: &OrganizationInput) -> Result<Organization, AppError> {
    write_tx(conn, |conn| {
        db::data_version::touch(conn)?;
        if orgs::slug_taken(conn, input.slug.as_str(), None)? {
            return Err(slug_conflict());
        }
        let now = db::now();
        let id = OrganizationId::generate();
        orgs::insert(
            conn,
            &NewOrganization {
                id: &id,
                slug: input.slug.as_str(),
                name_ja: input.name_ja.as_str(),
                name_en: input.name_en.as_str(),
                kind: input.kind,
                country: input.country.as_str(),
                time_zone: input.time_zone.name(),
                website: input.website.as_ref().map(Website::as_str),
                created_at: now,
                updated_at: now,
            },
        )?;
        orgs::find_by_slug(conn, input.slug.as_str())?.ok_or(AppError::NotFound)
    })
}

#[tracing::instrument(skip(conn, input))]
pub fn update(
    conn: &mut DbConn,
    slug: &str,
    input: &OrganizationInput,
) -> Result<Organization, AppError> {
    write_tx(conn, |conn| {
        db::data_version::touch(conn)?;
        let current = orgs::find_by_slug(conn, slug)?.ok_or(AppError::NotFound)?;
        if orgs::slug_taken(conn, input.slug.as_str(), Some(&current.id))? {
            return Err(slug_conflict());
        }
        orgs::update(
            conn,
            &current.id,
            &OrganizationChanges {
                slug: input.slug.as_str(),
                name_ja: input.name_ja.as_str(),
                name_en: input.name_en.as_str(),
                kind: input.kind,
                country: input.country.as_str(),
                time_zone: input.time_zone.name(),
                website: input.website.as_ref().map(Website::as_str),
                updated_at: db::now(),
            },
        )?;
        orgs::find_by_slug(conn, input.slug.as_str())?.ok_or(AppError::NotFound)
    })
}

pub fn get(conn: &mut DbConn, slug: &str) -> Result<Organization, AppError> {
    orgs::find_by_slug(conn, slug)?.ok_or(AppError::NotFound)
}

pub fn list(conn: &mut DbConn) -> Result<Vec<Organization>, AppError> {
    Ok(orgs::list(conn)?)
}
