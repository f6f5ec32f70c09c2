// @generated automatically by Diesel CLI.

diesel::table! {
    api_tokens (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    calendar_sequences (email_key, subject) {
        email_key -> Text,
        subject -> Text,
        sequence -> Int4,
        revision -> Int4,
        cancelled -> Bool,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    data_version (id) {
        id -> Int4,
        version -> Int8,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    event_organizers (event_id, organization_id) {
        event_id -> Text,
        organization_id -> Text,
        position -> Int4,
    }
}

diesel::table! {
    events (id) {
        id -> Text,
        slug -> Text,
        title_ja -> Text,
        title_en -> Text,
        description_ja -> Text,
        description_en -> Text,
        kind -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        time_zone -> Text,
        capacity -> Nullable<Int4>,
        registration_opens_at -> Nullable<Timestamp>,
        registration_closes_at -> Nullable<Timestamp>,
        status -> Text,
        revision -> Int4,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        confirmed_count -> Int4,
        reminder_offsets -> Text,
        online_url -> Nullable<Text>,
        online_platform -> Nullable<Text>,
    }
}

diesel::table! {
    guest_feeds (email_key) {
        email_key -> Text,
        generation -> Int4,
        token_hash -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Text,
        scope -> Text,
        subject -> Text,
        failed_at -> Timestamp,
    }
}

diesel::table! {
    meeting_attendees (id) {
        id -> Text,
        meeting_id -> Text,
        position -> Int4,
        email -> Text,
        email_key -> Text,
        name -> Text,
        organization_id -> Nullable<Text>,
        organization -> Nullable<Text>,
        country -> Text,
        time_zone -> Text,
        language -> Text,
        partstat -> Text,
        token_hash -> Text,
        link_generation -> Int4,
        reminders -> Bool,
        answered_at -> Nullable<Timestamp>,
        removed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    meetings (id) {
        id -> Text,
        title_ja -> Text,
        title_en -> Text,
        agenda -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        time_zone -> Text,
        room_id -> Nullable<Text>,
        online_url -> Nullable<Text>,
        event_id -> Nullable<Text>,
        interpreter -> Nullable<Text>,
        status -> Text,
        revision -> Int4,
        reminder_offsets -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        table_label -> Nullable<Text>,
    }
}

diesel::table! {
    organizations (id) {
        id -> Text,
        slug -> Text,
        name_ja -> Text,
        name_en -> Text,
        kind -> Text,
        country -> Text,
        time_zone -> Text,
        website -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        dedupe_key -> Text,
        kind -> Text,
        registration_id -> Nullable<Text>,
        event_id -> Nullable<Text>,
        revision -> Int4,
        reminder_minutes -> Nullable<Int4>,
        status -> Text,
        due_at -> Timestamp,
        attempts -> Int4,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        attendee_id -> Nullable<Text>,
        meeting_id -> Nullable<Text>,
        partnering_request_id -> Nullable<Text>,
        sequence -> Nullable<Int4>,
    }
}

diesel::table! {
    partnering_profiles (registration_id) {
        registration_id -> Text,
        event_id -> Text,
        organization -> Text,
        country -> Text,
        time_zone -> Text,
        offer -> Text,
        seek -> Text,
        offer_categories -> Text,
        seek_categories -> Text,
        interpreter -> Bool,
        listed -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    partnering_requests (id) {
        id -> Text,
        event_id -> Text,
        requester_id -> Text,
        recipient_id -> Text,
        pair_low -> Text,
        pair_high -> Text,
        message -> Text,
        priority -> Int4,
        status -> Text,
        organizer_id -> Nullable<Text>,
        meeting_id -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    partnering_settings (event_id) {
        event_id -> Text,
        slot_minutes -> Int4,
        gap_minutes -> Int4,
        request_deadline -> Timestamp,
        max_meetings -> Nullable<Int4>,
        scheduled_at -> Nullable<Timestamp>,
        revision -> Int4,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    partnering_tables (id) {
        id -> Text,
        event_id -> Text,
        position -> Int4,
        label -> Text,
        room_id -> Nullable<Text>,
        online_url -> Nullable<Text>,
    }
}

diesel::table! {
    partnering_unavailability (registration_id, starts_at) {
        registration_id -> Text,
        starts_at -> Timestamp,
    }
}

diesel::table! {
    partnering_windows (id) {
        id -> Text,
        event_id -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
    }
}

diesel::table! {
    registrations (id) {
        id -> Text,
        event_id -> Text,
        email -> Text,
        email_key -> Text,
        name -> Text,
        furigana -> Nullable<Text>,
        organization -> Text,
        country -> Text,
        time_zone -> Text,
        language -> Text,
        status -> Text,
        waitlist_position -> Nullable<Int8>,
        token_hash -> Text,
        reminders -> Bool,
        consented_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        cancelled_at -> Nullable<Timestamp>,
        checked_in_at -> Nullable<Timestamp>,
        checked_in_by -> Nullable<Text>,
        check_in_hash -> Nullable<Text>,
    }
}

diesel::table! {
    room_bookings (id) {
        event_id -> Nullable<Text>,
        room_id -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        active -> Bool,
        id -> Text,
        meeting_id -> Nullable<Text>,
    }
}

diesel::table! {
    rooms (id) {
        id -> Text,
        venue_id -> Text,
        name_ja -> Text,
        name_en -> Text,
        capacity -> Int4,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    service_keys (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    staff_feeds (user_id) {
        user_id -> Text,
        generation -> Int4,
        token_hash -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    venues (id) {
        id -> Text,
        slug -> Text,
        name_ja -> Text,
        name_en -> Text,
        address_ja -> Text,
        address_en -> Text,
        area -> Text,
        time_zone -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        access_ja -> Text,
        access_en -> Text,
    }
}

diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(event_organizers -> events (event_id));
diesel::joinable!(event_organizers -> organizations (organization_id));
diesel::joinable!(meeting_attendees -> meetings (meeting_id));
diesel::joinable!(meeting_attendees -> organizations (organization_id));
diesel::joinable!(meetings -> events (event_id));
diesel::joinable!(meetings -> rooms (room_id));
diesel::joinable!(outbox -> events (event_id));
diesel::joinable!(outbox -> meeting_attendees (attendee_id));
diesel::joinable!(outbox -> meetings (meeting_id));
diesel::joinable!(outbox -> registrations (registration_id));
diesel::joinable!(partnering_profiles -> events (event_id));
diesel::joinable!(partnering_profiles -> registrations (registration_id));
diesel::joinable!(partnering_requests -> events (event_id));
diesel::joinable!(partnering_requests -> meetings (meeting_id));
diesel::joinable!(partnering_requests -> users (organizer_id));
diesel::joinable!(partnering_settings -> events (event_id));
diesel::joinable!(partnering_tables -> partnering_settings (event_id));
diesel::joinable!(partnering_tables -> rooms (room_id));
diesel::joinable!(partnering_unavailability -> registrations (registration_id));
diesel::joinable!(partnering_windows -> partnering_settings (event_id));
diesel::joinable!(registrations -> events (event_id));
diesel::joinable!(room_bookings -> events (event_id));
diesel::joinable!(room_bookings -> meetings (meeting_id));
diesel::joinable!(room_bookings -> rooms (room_id));
diesel::joinable!(rooms -> venues (venue_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(staff_feeds -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_tokens,
    calendar_sequences,
    data_version,
    event_organizers,
    events,
    guest_feeds,
    login_failures,
    meeting_attendees,
    meetings,
    organizations,
    outbox,
    partnering_profiles,
    partnering_requests,
    partnering_settings,
    partnering_tables,
    partnering_unavailability,
    partnering_windows,
    registrations,
    room_bookings,
    rooms,
    service_keys,
    sessions,
    staff_feeds,
    users,
    venues,
);
