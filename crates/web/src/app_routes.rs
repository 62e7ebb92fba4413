//! The table of every Linkwork route and who may call it.

use super::*;

/// Every route of Linkwork, with the rule saying who may call it (see [`routes`]).
pub(crate) fn routes_of_linkwork() -> routes::Routes {
    use domain::Role as R;
    use pages::*;
    use routes::{
        person, public, role, role_or_owner, role_or_self, signed_in, webhook, Method, Routes,
        Target,
    };
    const PERSON: Target = Target::Pcn("person");
    const EPISODE: Target = Target::Pcn("episode");
    let import = axum::routing::post(directory::import)
        .layer(axum::extract::DefaultBodyLimit::max(20 * 1024 * 1024));
    Routes::new()
        .get("/", home::show, signed_in())
        .get("/menu", home::menu, signed_in())
        .get("/health", health::health, public())
        .get("/ready", health::ready, public())
        .get("/static/app.css", health::css, public())
        .get("/favicon.ico", health::favicon, public())
        .get("/login", login::form, public())
        .post("/login", login::submit, public())
        .post("/logout", login::logout, signed_in())
        .get("/login/code", second_factor::code_form, public())
        .post("/login/code", second_factor::code_submit, public())
        .get("/login/sso/{provider}", sso::start, public())
        .get("/login/sso/{provider}/callback", sso::callback, public())
        .post("/login/sso/confirm", sso::confirm, public())
        // The person's own door: no account
        .get("/pcn/{code}", pcn_home::show, public())
        .get("/self-referral", self_referral::start, public())
        .get("/self-referral/practice", self_referral::practice, public())
        .get("/self-referral/details", self_referral::details, public())
        .with(
            Method::Post,
            "/self-referral",
            axum::routing::post(self_referral::submit)
                .layer(axum::extract::DefaultBodyLimit::max(64 * 1024)),
            public(),
        )
        .get(
            "/self-referral/confirm",
            agency_referral::confirm_form,
            public(),
        )
        .post("/self-referral/confirm", agency_referral::confirm, public())
        // The person's own plan: a plan link, a one-time code and their date of birth
        .get("/my-plan", own_plan::code_page, public())
        .post("/my-plan/code", own_plan::send_code, public())
        .post("/my-plan/sign-in", own_plan::sign_in, public())
        .get("/my-plan/view", own_plan::view, person())
        .post("/my-plan/went", own_plan::went, person())
        .post("/my-plan/call-me", own_plan::call_me, person())
        .get("/my-plan/wellbeing", own_plan::wellbeing_form, person())
        .post("/my-plan/wellbeing", own_plan::wellbeing_save, person())
        .post("/my-plan/sign-out", own_plan::sign_out, person())
        .get(
            "/people/{id}/plan-link",
            own_plan::link_form,
            role(R::can_triage).on(PERSON),
        )
        .post(
            "/people/{id}/plan-link",
            own_plan::link_send,
            role(R::can_triage).on(PERSON),
        )
        .post(
            "/people/{id}/plan-link/stop",
            own_plan::link_stop,
            role(R::can_triage).on(PERSON),
        )
        .post(
            "/people/{id}/call-back",
            own_plan::call_back_done,
            role(R::can_triage).on(PERSON),
        )
        .post("/notify/callback", crate::texts::callback, webhook())
        .get("/texts", texts::list, role(R::can_triage))
        .get(
            "/admin/referrers",
            agency_referral::admin_form,
            role(R::can_manage_pcn_settings),
        )
        .post(
            "/admin/referrers",
            agency_referral::admin_save,
            role(R::can_manage_pcn_settings),
        )
        // People and referrals
        .get("/people", people::list, role(R::can_read_people))
        .post("/people", people::create, role(R::can_edit_people))
        .get(
            "/people/{id}/access",
            access::form,
            role(R::can_read_people).on(Target::Pcn("person")),
        )
        .post(
            "/people/{id}/access",
            access::give,
            role(R::can_read_people).on(Target::Pcn("person")),
        )
        .get("/people/new", people::new_form, role(R::can_edit_people))
        .get(
            "/people/{id}/merge",
            people::merge_form,
            role(R::can_merge_people).on(PERSON),
        )
        .post(
            "/people/{id}/merge",
            people::merge_save,
            role(R::can_merge_people).on(PERSON),
        )
        .get(
            "/people/{id}/unmerge",
            people::unmerge_form_page,
            role(R::can_merge_people).on(PERSON),
        )
        .post(
            "/people/{id}/unmerge",
            people::unmerge_save,
            role(R::can_merge_people).on(PERSON),
        )
        .get(
            "/people/{id}",
            people::show,
            role(R::can_read_people).on(PERSON),
        )
        .post(
            "/people/{id}",
            people::update,
            role(R::can_edit_people).on(PERSON),
        )
        .get(
            "/people/{id}/edit",
            people::edit_form,
            role(R::can_edit_people).on(PERSON),
        )
        .get("/referrals/new", referrals::new_form, role(R::can_refer))
        .post("/referrals", referrals::create, role(R::can_refer))
        .get("/referrals/mine", referrals::mine, role(R::can_refer))
        .get(
            "/referrals/mine/{id}/message",
            message_back::for_referrer,
            role(R::can_refer).on(EPISODE),
        )
        .get("/triage", triage::queue, role(R::can_triage))
        // Episodes and the link worker's journey
        .post(
            "/episodes/{id}/assign",
            episodes::assign,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/state",
            episodes::transition,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/next-contact",
            episodes::next_contact,
            role(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/contacts/new",
            contacts::new_form,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/contacts",
            contacts::create,
            role(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/assessment",
            journey::assessment_new,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/assessment",
            journey::assessment_save,
            role(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/plan",
            journey::plan_new,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/plan",
            journey::plan_save,
            role(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/plan/print",
            journey::plan_print,
            role(R::can_read_people).on(EPISODE),
        )
        .get(
            "/episodes/{id}/measures/new",
            journey::measure_new,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/measures",
            journey::measure_save,
            role(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/safeguarding",
            journey::safeguarding_new,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/safeguarding",
            journey::safeguarding_save,
            role(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/referral-back",
            journey::referral_back_new,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/referral-back",
            journey::referral_back_save,
            role(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/health-use",
            journey::health_use_new,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/health-use",
            journey::health_use_save,
            role(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/close",
            journey::close_new,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/close",
            journey::close_save,
            role(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/reopen",
            journey::reopen_new,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/reopen",
            journey::reopen_save,
            role(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/discharge",
            journey::discharge_new,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/discharge",
            journey::discharge_save,
            role(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/message-back",
            message_back::show,
            role(R::can_read_people).on(EPISODE),
        )
        .post(
            "/episodes/{id}/message-back",
            message_back::send,
            role(R::can_edit_people).on(EPISODE),
        )
        // Connections to community organisations
        .get(
            "/episodes/{id}/match",
            connections::match_page,
            role(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/refer",
            connections::refer_new,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/connections",
            connections::create,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/connections/{id}/status",
            connections::status,
            role(R::can_triage).on(Target::Pcn("connection")),
        )
        .get("/waiting", connections::waiting, role(R::can_view_waiting))
        .get(
            "/partner/referrals",
            connections::partner_list,
            role(R::is_partner),
        )
        .get(
            "/partner/referrals/{id}",
            connections::partner_show,
            role(R::is_partner).on(Target::Partner("connection")),
        )
        .post(
            "/partner/referrals/{id}",
            connections::partner_status,
            role(R::is_partner).on(Target::Partner("connection")),
        )
        // Safeguarding and coding
        .get(
            "/safeguarding",
            journey::safeguarding_list,
            role(R::can_view_safeguarding),
        )
        .get(
            "/safeguarding/{id}",
            journey::safeguarding_show,
            role(R::can_close_safeguarding).on(Target::Pcn("safeguarding")),
        )
        .post(
            "/safeguarding/{id}",
            journey::safeguarding_close,
            role(R::can_close_safeguarding).on(Target::Pcn("safeguarding")),
        )
        .get("/coding", coding::list, role(R::can_code))
        .post(
            "/coding/{id}/recorded",
            coding::mark_recorded,
            role(R::can_code).on(Target::Pcn("coding_entry")),
        )
        .post("/coding/batches", coding::prepare_batch, role(R::can_code))
        .get(
            "/coding/batches/{id}/download",
            coding::batch_csv,
            role(R::can_code).on(Target::Pcn("coding_batch")),
        )
        .post(
            "/coding/batches/{id}/acknowledge",
            coding::acknowledge_batch,
            role(R::can_code).on(Target::Pcn("coding_batch")),
        )
        .get("/admin/coding", coding::catalogue, role(R::can_operate))
        .post("/admin/coding", coding::save_concept, role(R::can_operate))
        .get(
            "/admin/api-clients",
            api_clients::list,
            role(R::can_administer),
        )
        .post(
            "/admin/api-clients",
            api_clients::create,
            role(R::can_administer),
        )
        .post(
            "/admin/api-clients/{id}/revoke",
            api_clients::revoke,
            role(R::can_administer).on(Target::Pcn("api_client")),
        )
        .post(
            "/admin/api-clients/{id}/keys",
            api_clients::keys,
            role(R::can_administer).on(Target::Pcn("api_client")),
        )
        .post(
            "/admin/api-clients/{id}/secret-off",
            api_clients::secret_off,
            role(R::can_administer).on(Target::Pcn("api_client")),
        )
        // Link workers' and managers' views
        .get("/today", today::show, role(R::has_today))
        .get("/caseload", caseload::mine, role(R::has_caseload))
        .get(
            "/caseloads/{user_id}",
            caseload::of_worker,
            role_or_self(R::can_view_all_caseloads).on(Target::Pcn("link_worker")),
        )
        .get("/dashboard", reports::dashboard, role(R::can_view_reports))
        .get("/reports/print", reports::print, role(R::can_view_reports))
        .get(
            "/reports/practices",
            reports::practices,
            role(R::can_manage_pcn_settings),
        )
        .post(
            "/reports/practices",
            reports::save_practices,
            role(R::can_manage_pcn_settings),
        )
        .get("/reports/{kind}", reports::show, role(R::can_view_reports))
        .get(
            "/reports/{kind}/{file}",
            reports::export,
            role(R::can_view_reports),
        )
        .get("/audit", audit::list, role(R::can_view_audit))
        // Workforce, supervision, training, care homes
        .get("/workforce", workforce::list, role(R::can_manage_workforce))
        .post(
            "/workforce",
            workforce::create,
            role(R::can_manage_workforce),
        )
        .get(
            "/workforce/new",
            workforce::new_form,
            role(R::can_manage_workforce),
        )
        .post(
            "/workforce/{id}",
            workforce::update,
            role(R::can_manage_workforce).on(Target::Pcn("employment")),
        )
        .get(
            "/workforce/{id}/edit",
            workforce::edit_form,
            role(R::can_manage_workforce).on(Target::Pcn("employment")),
        )
        .get(
            "/workforce/arrs",
            workforce::arrs,
            role(R::can_manage_workforce),
        )
        .get(
            "/workforce/arrs/{file}",
            workforce::arrs_export,
            role(R::can_manage_workforce),
        )
        .get("/admin/arrs", workforce::caps, role(R::can_operate))
        .post("/admin/arrs", workforce::save_cap, role(R::can_operate))
        .get(
            "/supervision",
            supervision::list,
            role(R::can_view_supervision),
        )
        .post(
            "/supervision",
            supervision::create,
            role(R::can_record_supervision),
        )
        .get(
            "/supervision/new",
            supervision::new_form,
            role(R::can_record_supervision),
        )
        .get(
            "/supervision/{id}",
            supervision::show,
            role(R::can_view_supervision).on(Target::Pcn("supervision")),
        )
        .get("/training", training::show, role(R::can_record_training))
        .post(
            "/training/records",
            training::record,
            role(R::can_record_training),
        )
        .post(
            "/training/requirements",
            training::add_requirement,
            role(R::can_manage_pcn_settings),
        )
        .get(
            "/care-homes",
            care_homes::list,
            role(R::can_work_care_homes),
        )
        .post(
            "/care-homes",
            care_homes::create,
            role(R::can_work_care_homes),
        )
        .post(
            "/care-homes/{id}/status",
            care_homes::status,
            role(R::can_work_care_homes).on(Target::Pcn("care_home_task")),
        )
        // Accounts and settings
        .get("/admin/users", admin::users, role(R::can_manage_users))
        .post(
            "/admin/users",
            admin::create_user,
            role(R::can_manage_users),
        )
        .get(
            "/admin/users/{id}",
            admin::user,
            role(R::can_manage_users).on(Target::Pcn("user")),
        )
        .post(
            "/admin/users/{id}",
            admin::update_user,
            role(R::can_manage_users).on(Target::Pcn("user")),
        )
        .post(
            "/admin/users/{id}/disable",
            admin::disable_user,
            role(R::can_manage_users).on(Target::Pcn("user")),
        )
        .post(
            "/admin/users/{id}/enable",
            admin::enable_user,
            role(R::can_manage_users).on(Target::Pcn("user")),
        )
        .post(
            "/admin/users/{id}/reset-password",
            admin::reset_password,
            role(R::can_manage_users).on(Target::Pcn("user")),
        )
        .get("/settings", settings::show, signed_in())
        .get(
            "/settings/second-factor",
            second_factor::settings,
            signed_in(),
        )
        .post(
            "/settings/second-factor/start",
            second_factor::start,
            signed_in(),
        )
        .post(
            "/settings/second-factor/confirm",
            second_factor::confirm,
            signed_in(),
        )
        .post(
            "/settings/second-factor/recovery-codes",
            second_factor::new_recovery_codes,
            signed_in(),
        )
        .post(
            "/settings/second-factor/remove",
            second_factor::remove,
            signed_in(),
        )
        .post(
            "/admin/users/{id}/second-factor/reset",
            second_factor::admin_reset,
            role(R::can_manage_users).on(Target::Pcn("user")),
        )
        .get("/settings/sign-in", sso::settings, signed_in())
        .post("/settings/sign-in/link", sso::link, signed_in())
        .post("/settings/sign-in/unlink", sso::unlink, signed_in())
        .post(
            "/admin/users/{id}/sso/link",
            sso::admin_link,
            role(R::can_manage_users).on(Target::Pcn("user")),
        )
        .post(
            "/admin/users/{id}/sso/unlink",
            sso::admin_unlink,
            role(R::can_manage_users).on(Target::Pcn("user")),
        )
        .post("/settings/password", settings::change_password, signed_in())
        .post("/settings/tokens", settings::create_token, signed_in())
        .post(
            "/settings/tokens/{id}/revoke",
            settings::revoke_token,
            signed_in().on(Target::Own("api_token")),
        )
        // The community directory
        .get(
            "/directory",
            directory::search,
            role(R::can_search_directory),
        )
        .get(
            "/directory/services/new",
            directory::new_form,
            role(R::can_manage_directory),
        )
        .post(
            "/directory/services",
            directory::create,
            role(R::can_manage_directory),
        )
        .get(
            "/directory/services/{id}",
            directory::show,
            role_or_owner(R::can_search_directory).on(Target::Shared("service")),
        )
        .post(
            "/directory/services/{id}",
            directory::update,
            role_or_owner(R::can_manage_directory).on(Target::Shared("service")),
        )
        .get(
            "/directory/services/{id}/edit",
            directory::edit_form,
            role_or_owner(R::can_manage_directory).on(Target::Shared("service")),
        )
        .post(
            "/directory/services/{id}/retire",
            directory::retire,
            role(R::can_manage_directory).on(Target::Shared("service")),
        )
        .post(
            "/directory/services/{id}/concepts",
            directory::review_concept,
            role_or_owner(R::can_manage_directory).on(Target::Shared("service")),
        )
        .post(
            "/directory/services/{id}/capacity",
            directory::set_capacity,
            role_or_owner(R::can_manage_directory).on(Target::Shared("service")),
        )
        .get(
            "/directory/taxonomy",
            directory::terms,
            role(R::can_manage_directory),
        )
        .get(
            "/directory/taxonomy/{id}",
            directory::term_form,
            role(R::can_manage_directory).on(Target::Shared("term")),
        )
        .post(
            "/directory/taxonomy/{id}",
            directory::term_save,
            role(R::can_manage_directory).on(Target::Shared("term")),
        )
        .get(
            "/directory/import",
            directory::import_form,
            role(R::can_manage_directory),
        )
        .with(
            Method::Post,
            "/directory/import",
            import,
            role(R::can_manage_directory),
        )
        .get(
            "/directory/organizations",
            directory::organizations,
            role(R::can_view_partner_links),
        )
        .post(
            "/directory/organizations/{id}/partner",
            directory::link_partner,
            role(R::can_operate).on(Target::Shared("organization")),
        )
        .get("/partner", directory::partner_home, role(R::is_partner))
        // Who shares what between PCNs and partners (docs/security.md, "Ownership")
        .get(
            "/partners",
            partners::pcn_list,
            role(R::can_manage_partner_links),
        )
        .post(
            "/partners/{id}",
            partners::pcn_set,
            role(R::can_manage_partner_links).on(Target::Shared("partner_org")),
        )
        .post(
            "/partner/pcns/{id}",
            partners::partner_set,
            role(R::is_partner).on(Target::Partner("pcn_link")),
        )
        .get(
            "/operator/partners",
            partners::operator_list,
            role(R::can_operate),
        )
        .post(
            "/operator/partners",
            partners::operator_create,
            role(R::can_operate),
        )
        // Other systems: OAuth2 token, FHIR, the JSON API, Open Referral UK
        .post("/oauth/token", fhir::token, public())
        .nest("/fhir", fhir::routes())
        .nest("/api/v1", api::routes())
        .nest("/oruk", oruk::routes())
        .with(Method::Get, "/oruk/", oruk::meta_route(), public())
}
