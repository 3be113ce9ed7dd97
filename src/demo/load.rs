//! Fills a database with the demo clinic in one transaction, through the features' own
//! model and db functions, so the demo stays valid as their rules change.

use std::collections::BTreeMap;

use sqlx::PgConnection;
use time::{Date, Duration, OffsetDateTime, Time};

use super::db::{self, PastRecord};
use super::model::{
    self, DEMO_DOMAIN, DemoPatient, PATIENT_PASSWORD, PlannedReading, Stage, TodayKind,
};
use super::{
    AccountCliError, CreatedAccount, DEMO_LOGINS, DemoLogin, check_account, create_account,
};
use crate::account::db::{self as account_db, TokenPurpose};
use crate::auth::password::Passwords;
use crate::auth::two_factor;
use crate::clinic_time::ClinicZone;
use crate::consent::db::{self as consent_db, NewSignature, NewWithdrawal};
use crate::consent::model::{CLINICIAN_MEANING, Draft, PATIENT_MEANING};
use crate::core::Role;
use crate::flowsheet::db::{self as treatment_db, CheckIn};
use crate::flowsheet::model::DISCHARGE_MEANING;
use crate::flowsheet::model::{
    Event, GivenForm, Severity, SideEffect, Vitals, check_amount_given, dose_mg,
};
use crate::outcomes::db::{self as outcomes_db, PreSessionResult};
use crate::patients::db::save_profile;
use crate::patients::model::Profile;
use crate::scheduling::db::{self as scheduling_db, NewAppointment};
use crate::scheduling::model::{AppointmentKind, AppointmentStatus, reminder_email};
use crate::screening::db::{self as screening_db, NewResult};
use crate::screening::instruments::{self, InstrumentId};
use crate::screening::model::{DecisionForm, DraftAnswers, check_decision};
use crate::screening::rules::{self, IntakeAnswers};
use crate::settings::{self, ClinicSettings};

/// A staff login's authenticator key, to type or scan into an app.
pub struct StaffKey {
    pub base32: String,
    pub url: String,
}

pub struct DemoClinic {
    pub logins: Vec<(DemoLogin, Option<StaffKey>)>,
    /// Whether this start filled the database (false: it was filled before).
    pub filled: bool,
}

fn failed(e: impl std::fmt::Display) -> AccountCliError {
    AccountCliError::Failed(e.to_string())
}

/// The two clinicians besides the login one, so three chairs can run at once. They share the
/// demo clinician's password; only the first clinician is printed.
const MORE_CLINICIANS: [(&str, &str); 2] = [
    ("Dr. Robin Example", "robin.example@demo.clinic"),
    ("Dr. Sasha Sample", "sasha.sample@demo.clinic"),
];

/// Loads the demo clinic, once: an empty database is filled and marked; a marked one is left
/// as it is; a database with anyone else's accounts is refused.
pub async fn load(pool: &sqlx::PgPool, link_base: &str) -> Result<DemoClinic, AccountCliError> {
    let mut tx = pool.begin().await.map_err(failed)?;
    let made_by_demo = db::lock_mark(&mut tx).await.map_err(failed)?;
    let mut filled = false;
    if !made_by_demo {
        let others = db::accounts_outside(&mut *tx, DEMO_DOMAIN)
            .await
            .map_err(failed)?;
        if others > 0 {
            return Err(AccountCliError::Invalid(format!(
                "this database holds {others} account(s) that are not demo accounts: the demo \
                 loads only into an empty database or one it made. Point DATABASE_URL at a new \
                 database to try the demo."
            )));
        }
        db::set_mark(&mut *tx).await.map_err(failed)?;
        fill(&mut tx, link_base, OffsetDateTime::now_utc()).await?;
        filled = true;
    }
    tx.commit().await.map_err(failed)?;
    let mut logins = Vec::new();
    for (role, _, email, password, _) in DEMO_LOGINS {
        let key = staff_key(pool, email).await?;
        logins.push((
            DemoLogin {
                role,
                email,
                password,
            },
            key,
        ));
    }
    Ok(DemoClinic { logins, filled })
}

async fn staff_key(pool: &sqlx::PgPool, email: &str) -> Result<Option<StaffKey>, AccountCliError> {
    let Some(login) = crate::auth::db::find_login(pool, email)
        .await
        .map_err(failed)?
    else {
        return Ok(None);
    };
    let factor = account_db::two_factor(pool, login.id)
        .await
        .map_err(failed)?;
    Ok(factor.secret.and_then(|secret| {
        Some(StaffKey {
            base32: two_factor::secret_for_typing(&secret),
            url: two_factor::enrolment_url(&secret, email)?,
        })
    }))
}

/// The code a demo account's authenticator shows now (for evaluators without a phone). Only
/// demo accounts in a database the demo made.
pub async fn authenticator_code(
    pool: &sqlx::PgPool,
    email: &str,
) -> Result<String, AccountCliError> {
    let email = email.trim().to_lowercase();
    let mut tx = pool.begin().await.map_err(failed)?;
    let made_by_demo = db::lock_mark(&mut tx).await.map_err(failed)?;
    tx.rollback().await.map_err(failed)?;
    if !made_by_demo || !email.ends_with(DEMO_DOMAIN) {
        return Err(AccountCliError::Invalid(format!(
            "{email} is not an account of a demo clinic: codes are shown only for demo accounts"
        )));
    }
    let Some(login) = crate::auth::db::find_login(pool, &email)
        .await
        .map_err(failed)?
    else {
        return Err(AccountCliError::Invalid(format!("no demo account {email}")));
    };
    let secret = account_db::two_factor(pool, login.id)
        .await
        .map_err(failed)?
        .secret
        .ok_or_else(|| AccountCliError::Invalid(format!("{email} has no second factor")))?;
    let unix = u64::try_from(OffsetDateTime::now_utc().unix_timestamp()).unwrap_or_default();
    two_factor::code_at(&secret, unix)
        .ok_or_else(|| AccountCliError::Failed("cannot compute the code".to_owned()))
}

/// Who does what in the demo: ids of the people and things the plan refers to by position.
struct Cast {
    admin: i64,
    clinicians: Vec<(i64, String)>,
    chairs: Vec<i64>,
    protocol_id: i64,
    zone: ClinicZone,
    settings: ClinicSettings,
    now: OffsetDateTime,
}

async fn fill(
    tx: &mut PgConnection,
    link_base: &str,
    now: OffsetDateTime,
) -> Result<(), AccountCliError> {
    let settings = settings::load(&mut *tx).await.map_err(failed)?;
    let today = settings.zone().date_of(now);
    let passwords = Passwords::new(1);
    let mut staff = BTreeMap::new();
    let mut clinicians = Vec::new();
    for (role, name, email, password, _) in DEMO_LOGINS {
        if role == Role::Patient {
            continue;
        }
        let hash = passwords.hash(password.to_owned()).await.map_err(failed)?;
        let id = staff_account(tx, role, name, email, password, &hash, today, &settings).await?;
        staff.insert(email, id);
        if role == Role::Clinician {
            clinicians.push((id, name.to_owned()));
            for (name, email) in MORE_CLINICIANS {
                let other =
                    staff_account(tx, role, name, email, password, &hash, today, &settings).await?;
                clinicians.push((other, name.to_owned()));
            }
        }
    }
    for (id, _) in &clinicians {
        // The demo clinic opens every day, so it is mid-week whenever it is tried.
        for weekday in 1..=7 {
            scheduling_db::add_hours(&mut *tx, *id, weekday, hour(7), hour(21))
                .await
                .map_err(failed)?;
        }
    }
    let mut chairs: Vec<i64> = scheduling_db::chairs(&mut *tx)
        .await
        .map_err(failed)?
        .into_iter()
        .map(|c| c.id)
        .collect();
    for n in chairs.len()..3 {
        let id = scheduling_db::add_chair(&mut *tx, &format!("Chair {}", n + 1))
            .await
            .map_err(failed)?;
        chairs.push(id);
    }
    let protocol_id = treatment_db::protocols(&mut *tx)
        .await
        .map_err(failed)?
        .into_iter()
        .find(|p| p.active)
        .map(|p| p.id)
        .ok_or_else(|| failed("the clinic has no active infusion protocol"))?;
    let cast = Cast {
        admin: staff.get("admin@demo.clinic").copied().unwrap_or_default(),
        clinicians,
        chairs,
        protocol_id,
        zone: settings.zone(),
        settings,
        now,
    };

    let plan = model::patients();
    let patient_hash = passwords
        .hash(PATIENT_PASSWORD.to_owned())
        .await
        .map_err(failed)?;
    let mut ids: Vec<Option<CreatedAccount>> = Vec::new();
    for patient in &plan {
        ids.push(patient_account(tx, &cast, patient, &patient_hash, today).await?);
    }
    consents(tx, &cast, &plan, &ids).await?;
    history(tx, &cast, &plan, &ids).await?;
    today_schedule(tx, &cast, &plan, &ids).await?;
    emails(tx, &cast, &ids, link_base).await?;
    Ok(())
}

fn hour(h: u8) -> Time {
    Time::from_hms(h.min(23), 0, 0).unwrap_or(Time::MIDNIGHT)
}

/// A staff account (created if missing) with its authenticator set up.
#[allow(clippy::too_many_arguments)]
async fn staff_account(
    tx: &mut PgConnection,
    role: Role,
    name: &str,
    email: &str,
    password: &str,
    hash: &str,
    today: Date,
    settings: &ClinicSettings,
) -> Result<i64, AccountCliError> {
    let id = match crate::auth::db::find_login(&mut *tx, email)
        .await
        .map_err(failed)?
    {
        Some(login) => login.id,
        None => {
            let account = check_account(
                role,
                email,
                name,
                None,
                password,
                today,
                settings.allow_minors,
            )?;
            create_account(tx, &account, hash).await?.user_id
        }
    };
    if account_db::two_factor(&mut *tx, id)
        .await
        .map_err(failed)?
        .secret
        .is_none()
    {
        account_db::pending_secret(&mut *tx, id, &two_factor::new_secret())
            .await
            .map_err(failed)?;
        account_db::enable_two_factor(&mut *tx, id, 0)
            .await
            .map_err(failed)?;
    }
    Ok(id)
}

/// Intake answers with nothing to flag.
fn clear_intake() -> IntakeAnswers {
    IntakeAnswers {
        hypertension: Some(false),
        heart_disease: Some(false),
        aneurysm_or_avm: Some(false),
        intracerebral_haemorrhage: Some(false),
        stroke: Some(false),
        raised_intracranial_pressure: Some(false),
        raised_intraocular_pressure: Some(false),
        liver_disease: Some(false),
        bladder_symptoms: Some(false),
        hyperthyroidism: Some(false),
        ketamine_hypersensitivity: Some(false),
        psychosis_history: Some(false),
        bipolar_or_mania: Some(false),
        substance_use_disorder: Some(false),
        ketamine_misuse: Some(false),
        ptsd: Some(false),
        antidepressant_trials: Some(3),
        pregnant: Some(false),
        breastfeeding: Some(false),
        medications: "Sertraline 100 mg daily".to_owned(),
        allergies: "None known".to_owned(),
        ..IntakeAnswers::default()
    }
}

/// One patient's account, details, screening and the clinician's decision.
async fn patient_account(
    tx: &mut PgConnection,
    cast: &Cast,
    patient: &DemoPatient,
    hash: &str,
    today: Date,
) -> Result<Option<CreatedAccount>, AccountCliError> {
    if crate::auth::db::find_login(&mut *tx, &patient.email)
        .await
        .map_err(failed)?
        .is_some()
    {
        return Ok(None);
    }
    let (y, m, d) = patient.born;
    let born = format!("{y:04}-{m:02}-{d:02}");
    let account = check_account(
        Role::Patient,
        &patient.email,
        &patient.name,
        Some(&born),
        PATIENT_PASSWORD,
        today,
        cast.settings.allow_minors,
    )?;
    let created = create_account(tx, &account, hash).await?;
    let Some(patient_id) = created.patient_id else {
        return Ok(Some(created));
    };
    db::confirm_email(&mut *tx, created.user_id)
        .await
        .map_err(failed)?;
    if !patient.stage.has_profile() {
        return Ok(Some(created));
    }
    let profile = Profile {
        legal_name: patient.name.clone(),
        preferred_name: Some(patient.preferred.to_owned()),
        date_of_birth: account.date_of_birth.unwrap_or(today),
        sex_at_birth: patient.sex,
        phone: format!("+1 555 010 {:04}", created.user_id % 10_000),
        address: "1 Example Row, Sampletown".to_owned(),
        emergency_contact_name: "Morgan Contact".to_owned(),
        emergency_contact_phone: "+1 555 010 9999".to_owned(),
        weight_kg: patient.weight_kg,
        height_cm: 170.0,
    };
    save_profile(&mut *tx, patient_id, &profile)
        .await
        .map_err(failed)?;
    let Some(screening_id) = screening_db::start_draft(&mut *tx, patient_id)
        .await
        .map_err(failed)?
    else {
        return Ok(Some(created));
    };
    let intake = clear_intake();
    if !patient.stage.submits_screening() {
        // Half way through: the medical history answered, the questionnaires not yet.
        let half = IntakeAnswers {
            psychosis_history: None,
            antidepressant_trials: None,
            ..intake
        };
        screening_db::save_draft(
            &mut *tx,
            screening_id,
            patient_id,
            &half,
            &DraftAnswers::new(),
        )
        .await
        .map_err(failed)?;
        return Ok(Some(created));
    }
    let urgent_answers = patient.stage == Stage::AwaitingReview { urgent: true };
    let phq9 = model::phq9_answers(18);
    let gad7 = model::gad7_answers(12);
    let cssrs = model::cssrs_answers(urgent_answers);
    let mut draft = DraftAnswers::new();
    for (id, answers) in [
        (InstrumentId::Phq9, &phq9),
        (InstrumentId::Gad7, &gad7),
        (InstrumentId::Cssrs, &cssrs),
    ] {
        draft.insert(id.code().to_owned(), answers.clone());
    }
    screening_db::save_draft(&mut *tx, screening_id, patient_id, &intake, &draft)
        .await
        .map_err(failed)?;
    let flags = rules::flags(&intake, &phq9, &cssrs);
    let urgent = rules::has_suicide_risk(&flags);
    let results: Vec<NewResult> = [
        (InstrumentId::Phq9, &phq9),
        (InstrumentId::Gad7, &gad7),
        (InstrumentId::Cssrs, &cssrs),
    ]
    .into_iter()
    .map(|(id, answers)| {
        let score = instruments::score(id, answers);
        NewResult {
            instrument: id.code(),
            version: instruments::instrument(id).version,
            answers: answers.clone(),
            total: score.map(|s| s.total),
            band: score.map(|s| s.band.code()),
        }
    })
    .collect();
    screening_db::submit(&mut *tx, screening_id, patient_id, &flags, urgent, &results)
        .await
        .map_err(failed)?;
    if urgent {
        screening_db::notify_role(&mut *tx, Role::Clinician, "urgent_screening", screening_id)
            .await
            .map_err(failed)?;
    }
    let decision = match patient.stage {
        Stage::NeedsInformation => "needs_information",
        Stage::NotEligible => "not_eligible",
        stage if stage.is_eligible() => "eligible",
        _ => return Ok(Some(created)),
    };
    let form = DecisionForm {
        decision: decision.to_owned(),
        clinician_note: "Reviewed with the patient by phone (demo record).".to_owned(),
        patient_message: "Thank you: the clinic will be in touch about next steps.".to_owned(),
        override_reason: String::new(),
        acknowledged: flags.iter().map(|f| f.code.clone()).collect(),
    };
    let valid = check_decision(&form, &flags, today, cast.settings.eligibility_days)
        .map_err(|_| failed("the demo decision was refused"))?;
    let (clinician, _) = &cast.clinicians[0];
    screening_db::record_decision(&mut *tx, screening_id, &valid, *clinician)
        .await
        .map_err(failed)?;
    Ok(Some(created))
}

/// Signatures, one newer consent version (so some signatures are outdated), the clinician's
/// countersignatures and two withdrawals.
async fn consents(
    tx: &mut PgConnection,
    cast: &Cast,
    plan: &[DemoPatient],
    ids: &[Option<CreatedAccount>],
) -> Result<(), AccountCliError> {
    let (clinician, clinician_name) = &cast.clinicians[0];
    let first = consent_db::current_version(&mut *tx)
        .await
        .map_err(failed)?
        .ok_or_else(|| failed("no published consent version"))?;
    let signers = |outdated: bool| {
        plan.iter()
            .zip(ids)
            .filter(move |(p, _)| {
                p.stage.signs_consent() && (p.stage == Stage::OutdatedConsent) == outdated
            })
            .filter_map(|(p, id)| Some((p, id.as_ref()?.user_id, id.as_ref()?.patient_id?)))
    };
    let mut sign = Vec::new();
    for (patient, user_id, patient_id) in signers(true) {
        sign.push((
            patient,
            user_id,
            patient_id,
            first.id,
            first.text_sha256.clone().unwrap_or_default(),
        ));
    }
    let newer = Draft {
        title: first.title.clone(),
        body: format!(
            "{}\n\nThe clinic may contact you between infusions to ask how you are.",
            first.body
        ),
    };
    let draft = consent_db::create_draft(&mut *tx, &newer, cast.admin)
        .await
        .map_err(failed)?;
    // Outdated signatures first, then the newer version everyone else signs.
    for (patient, user_id, patient_id, version_id, sha) in sign.drain(..) {
        signature(tx, patient, user_id, patient_id, version_id, &sha).await?;
    }
    consent_db::publish(&mut *tx, draft, cast.admin)
        .await
        .map_err(failed)?;
    let current = consent_db::current_version(&mut *tx)
        .await
        .map_err(failed)?
        .ok_or_else(|| failed("no published consent version"))?;
    let current_sha = current.text_sha256.clone().unwrap_or_default();
    for (patient, user_id, patient_id) in signers(false) {
        let signed = signature(tx, patient, user_id, patient_id, current.id, &current_sha).await?;
        let countersigned = !matches!(
            patient.stage,
            Stage::Consented {
                countersigned: false
            }
        );
        if countersigned {
            consent_db::record_signature(
                &mut *tx,
                &NewSignature {
                    version_id: current.id,
                    patient_id,
                    signer_user_id: *clinician,
                    countersigns: Some(signed),
                    printed_name: clinician_name,
                    meaning: CLINICIAN_MEANING,
                    text_sha256: &current_sha,
                    client_addr: "demo",
                    user_agent: "demo loader",
                },
            )
            .await
            .map_err(failed)?;
        }
        if patient.stage == Stage::WithdrawnConsent {
            consent_db::record_withdrawal(
                &mut *tx,
                &NewWithdrawal {
                    patient_id,
                    withdrawn_by: user_id,
                    reason: Some("Decided to try another treatment first."),
                    client_addr: "demo",
                    user_agent: "demo loader",
                },
            )
            .await
            .map_err(failed)?;
        }
    }
    Ok(())
}

async fn signature(
    tx: &mut PgConnection,
    patient: &DemoPatient,
    user_id: i64,
    patient_id: i64,
    version_id: i64,
    sha: &str,
) -> Result<i64, AccountCliError> {
    consent_db::record_signature(
        &mut *tx,
        &NewSignature {
            version_id,
            patient_id,
            signer_user_id: user_id,
            countersigns: None,
            printed_name: &patient.name,
            meaning: PATIENT_MEANING,
            text_sha256: sha,
            client_addr: "demo",
            user_agent: "demo loader",
        },
    )
    .await
    .map_err(failed)
}

/// A quarter of signed infusions, with pre-session scores, and two no-shows.
async fn history(
    tx: &mut PgConnection,
    cast: &Cast,
    plan: &[DemoPatient],
    ids: &[Option<CreatedAccount>],
) -> Result<(), AccountCliError> {
    let today = cast.zone.date_of(cast.now);
    for (index, (patient, id)) in plan.iter().zip(ids).enumerate() {
        let (Some(course), Some(patient_id)) =
            (patient.course, id.as_ref().and_then(|a| a.patient_id))
        else {
            continue;
        };
        let (clinician, chair, start_hour) = model::history_slot(index);
        let scores = model::course_scores(course);
        for (k, days) in model::infusion_days_ago(course, index)
            .into_iter()
            .enumerate()
        {
            let date = today - Duration::days(days);
            let from = cast.zone.to_utc(date, hour(start_hour));
            let appointment = book(
                tx,
                cast,
                patient_id,
                AppointmentKind::Infusion,
                clinician,
                Some(chair),
                from,
                from + Duration::minutes(model::SLOT_MINUTES),
            )
            .await?;
            let (phq9, gad7) = scores.get(k).copied().unwrap_or((12, 9));
            pre_session(
                tx,
                patient_id,
                appointment,
                phq9,
                gad7,
                from - Duration::hours(1),
            )
            .await?;
            signed_infusion(
                tx,
                cast,
                patient,
                patient_id,
                appointment,
                clinician,
                from,
                k,
            )
            .await?;
        }
    }
    // Two missed appointments for the report's no-show count.
    if let Some(patient_id) = ids.get(2).and_then(|a| a.as_ref()?.patient_id) {
        for days in [40, 61] {
            let from = cast.zone.to_utc(today - Duration::days(days), hour(17));
            let id = book(
                tx,
                cast,
                patient_id,
                AppointmentKind::Consultation,
                0,
                None,
                from,
                from + Duration::minutes(45),
            )
            .await?;
            scheduling_db::close(
                tx,
                id,
                AppointmentStatus::NoShow,
                false,
                cast.clinicians[0].0,
                None,
            )
            .await
            .map_err(failed)?;
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn book(
    tx: &mut PgConnection,
    cast: &Cast,
    patient_id: i64,
    kind: AppointmentKind,
    clinician: usize,
    chair: Option<usize>,
    from: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<i64, AccountCliError> {
    let clinician_id = cast.clinicians.get(clinician).map_or(0, |c| c.0);
    scheduling_db::book(
        tx,
        &NewAppointment {
            patient_id,
            kind,
            clinician_id,
            chair_id: chair.and_then(|c| cast.chairs.get(c).copied()),
            from,
            until,
            gate_override: None,
            booked_by: clinician_id,
        },
    )
    .await
    .map_err(failed)
}

/// The PHQ-9 and GAD-7 taken before an infusion, at their time.
async fn pre_session(
    tx: &mut PgConnection,
    patient_id: i64,
    appointment: i64,
    phq9: i16,
    gad7: i16,
    at: OffsetDateTime,
) -> Result<(), AccountCliError> {
    for (id, answers) in [
        (InstrumentId::Phq9, model::phq9_answers(phq9)),
        (InstrumentId::Gad7, model::gad7_answers(gad7)),
    ] {
        let Some(score) = instruments::score(id, &answers) else {
            continue;
        };
        outcomes_db::record_pre_session(
            &mut *tx,
            patient_id,
            appointment,
            &PreSessionResult {
                instrument: id.code(),
                version: instruments::instrument(id).version,
                answers: &answers,
                total: score.total,
                band: score.band.code(),
            },
        )
        .await
        .map_err(failed)?;
    }
    db::date_pre_session(&mut *tx, appointment, at)
        .await
        .map_err(failed)
}

fn vitals(signs: (i32, i32, i32, i32, i32)) -> Vitals {
    let (systolic, diastolic, heart_rate, spo2, resp_rate) = signs;
    Vitals {
        systolic,
        diastolic,
        heart_rate,
        spo2,
        resp_rate,
    }
}

/// The record of an infusion from check-in to the end (or to now, while `ended` is none).
#[allow(clippy::too_many_arguments)]
async fn infusion_record(
    tx: &mut PgConnection,
    cast: &Cast,
    patient: &DemoPatient,
    patient_id: i64,
    appointment: i64,
    clinician: i64,
    checked_in: OffsetDateTime,
    started: OffsetDateTime,
    ended: Option<OffsetDateTime>,
    readings: &[PlannedReading],
    lot: usize,
) -> Result<i64, AccountCliError> {
    let mg_per_kg = 0.5;
    let ordered_mg = dose_mg(mg_per_kg, patient.weight_kg);
    let record = db::past_record(
        &mut *tx,
        &PastRecord {
            appointment_id: appointment,
            patient_id,
            clinician,
            checked_in,
            weight_kg: patient.weight_kg,
            protocol_id: cast.protocol_id,
            mg_per_kg,
            dose_mg: ordered_mg,
            route: "iv",
            minutes: i32::try_from(model::INFUSION_MINUTES).unwrap_or(40),
            lot_number: format!("DEMO-{:04}", 1000 + lot),
            ordered: checked_in + Duration::minutes(7),
            started,
        },
    )
    .await
    .map_err(failed)?;
    // Ended as the flowsheet ends one: the amount given goes through the same check (left
    // blank, the whole order was given).
    if let Some(ended) = ended {
        let (given_mg, reason) = check_amount_given(&GivenForm::default(), ordered_mg)
            .map_err(|_| failed("the demo's amount given was refused"))?;
        let done = treatment_db::end(&mut *tx, record, ended, given_mg, reason.as_deref())
            .await
            .map_err(failed)?;
        if !done {
            return Err(failed("a demo infusion could not be ended"));
        }
    }
    for reading in readings {
        db::past_reading(
            &mut *tx,
            record,
            started + Duration::minutes(reading.minutes),
            reading.phase,
            &vitals(reading.signs),
            clinician,
        )
        .await
        .map_err(failed)?;
    }
    db::past_event(
        &mut *tx,
        record,
        started + Duration::minutes(10),
        &Event::Moaas {
            score: 4,
            note: None,
        },
        clinician,
    )
    .await
    .map_err(failed)?;
    Ok(record)
}

/// A whole infusion: MOAA/S 5 after the end, vitals back near baseline, discharge signed 50
/// minutes after the end.
#[allow(clippy::too_many_arguments)]
async fn signed_infusion(
    tx: &mut PgConnection,
    cast: &Cast,
    patient: &DemoPatient,
    patient_id: i64,
    appointment: i64,
    clinician: usize,
    slot: OffsetDateTime,
    nth: usize,
) -> Result<(), AccountCliError> {
    let (clinician_id, clinician_name) =
        cast.clinicians.get(clinician).cloned().unwrap_or_default();
    let times = model::slot_times(slot);
    let record = infusion_record(
        tx,
        cast,
        patient,
        patient_id,
        appointment,
        clinician_id,
        times.checked_in,
        times.started,
        Some(times.ended),
        &model::signed_readings(nth),
        nth,
    )
    .await?;
    let mut events = vec![
        (
            times.started + Duration::minutes(25),
            Event::Cadss {
                total: 6 + (nth % 3) as i16,
                note: None,
            },
        ),
        (
            times.ended + Duration::minutes(35),
            Event::Moaas {
                score: 5,
                note: None,
            },
        ),
    ];
    if nth % 3 == 1 {
        events.push((
            times.started + Duration::minutes(30),
            Event::SideEffect {
                effect: SideEffect::Nausea,
                severity: Severity::Mild,
                intervention: None,
                note: None,
            },
        ));
    }
    for (at, event) in &events {
        db::past_event(&mut *tx, record, *at, event, clinician_id)
            .await
            .map_err(failed)?;
    }
    db::sign_past(
        &mut *tx,
        record,
        times.signed,
        clinician_id,
        &clinician_name,
        DISCHARGE_MEANING,
    )
    .await
    .map_err(failed)?;
    treatment_db::complete_appointment(&mut *tx, appointment)
        .await
        .map_err(failed)
}

/// Today's chairs: one infusion signed this morning, one running, one waiting for its dose
/// order, one to come, and consultations.
async fn today_schedule(
    tx: &mut PgConnection,
    cast: &Cast,
    plan: &[DemoPatient],
    ids: &[Option<CreatedAccount>],
) -> Result<(), AccountCliError> {
    for booking in model::today(cast.now) {
        let (Some(patient), Some(patient_id)) = (
            plan.get(booking.patient),
            ids.get(booking.patient)
                .and_then(|a| a.as_ref()?.patient_id),
        ) else {
            continue;
        };
        let infusion = booking.chair.is_some();
        let kind = if infusion {
            AppointmentKind::Infusion
        } else {
            AppointmentKind::Consultation
        };
        let appointment = book(
            tx,
            cast,
            patient_id,
            kind,
            booking.clinician,
            booking.chair,
            booking.from,
            booking.until,
        )
        .await?;
        let (clinician_id, _) = cast
            .clinicians
            .get(booking.clinician)
            .cloned()
            .unwrap_or_default();
        match booking.kind {
            TodayKind::SignedInfusion => {
                pre_session(tx, patient_id, appointment, 11, 8, booking.from).await?;
                signed_infusion(
                    tx,
                    cast,
                    patient,
                    patient_id,
                    appointment,
                    booking.clinician,
                    booking.from,
                    0,
                )
                .await?;
            }
            TodayKind::RunningInfusion => {
                pre_session(tx, patient_id, appointment, 12, 9, booking.from).await?;
                scheduling_db::check_in(tx, appointment, clinician_id)
                    .await
                    .map_err(failed)?;
                let started = cast.now - Duration::minutes(20);
                infusion_record(
                    tx,
                    cast,
                    patient,
                    patient_id,
                    appointment,
                    clinician_id,
                    booking.from + Duration::minutes(5),
                    started,
                    None,
                    &model::running_readings(),
                    99,
                )
                .await?;
            }
            TodayKind::AwaitingOrder => {
                pre_session(tx, patient_id, appointment, 13, 9, booking.from).await?;
                scheduling_db::check_in(tx, appointment, clinician_id)
                    .await
                    .map_err(failed)?;
                // Checked in just now, through the flowsheet's own writes.
                let record = treatment_db::open_record(tx, appointment, patient_id, clinician_id)
                    .await
                    .map_err(failed)?;
                treatment_db::save_check_in(
                    &mut *tx,
                    record,
                    &CheckIn {
                        fasting_confirmed: true,
                        escort_confirmed: true,
                        pregnancy_test: Some("not_applicable"),
                        pregnancy_test_reason: None,
                        weight_kg: patient.weight_kg,
                        at: cast.now - Duration::minutes(10),
                    },
                    clinician_id,
                )
                .await
                .map_err(failed)?;
                treatment_db::add_reading(
                    &mut *tx,
                    record,
                    "baseline",
                    &vitals((124, 80, 76, 98, 14)),
                    clinician_id,
                    cast.now - Duration::minutes(8),
                )
                .await
                .map_err(failed)?;
            }
            TodayKind::InfusionToCome => {
                let (subject, body) =
                    reminder_email(kind, &cast.zone, booking.from, &cast.settings.clinic_name);
                // Due now, so the mail folder shows it as soon as the server runs.
                scheduling_db::queue_reminder(&mut *tx, appointment, &subject, &body, cast.now)
                    .await
                    .map_err(failed)?;
            }
            TodayKind::ConsultationDone => {
                treatment_db::complete_appointment(&mut *tx, appointment)
                    .await
                    .map_err(failed)?;
            }
            TodayKind::NoShow => {
                scheduling_db::close(
                    tx,
                    appointment,
                    AppointmentStatus::NoShow,
                    false,
                    clinician_id,
                    None,
                )
                .await
                .map_err(failed)?;
            }
            TodayKind::ConsultationToCome => {}
        }
    }
    Ok(())
}

/// A password reset for the demo patient, so the mail folder holds one.
async fn emails(
    tx: &mut PgConnection,
    _cast: &Cast,
    ids: &[Option<CreatedAccount>],
    link_base: &str,
) -> Result<(), AccountCliError> {
    let Some(Some(patient)) = ids.first() else {
        return Ok(());
    };
    let (token, hash) = crate::auth::tokens::new_token();
    account_db::create_token(
        tx,
        patient.user_id,
        TokenPurpose::PasswordReset,
        &patient.email,
        &hash,
        60,
    )
    .await
    .map_err(failed)?;
    let link = crate::account::model::link(link_base, &format!("/reset-password/{token}"));
    let (subject, body) = crate::login::model::password_reset_email(&link);
    crate::notify::db::enqueue(
        &mut *tx,
        TokenPurpose::PasswordReset.as_str(),
        &patient.email,
        &subject,
        &body,
    )
    .await
    .map_err(failed)
}
