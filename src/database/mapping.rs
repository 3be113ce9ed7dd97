//! How the core's types and the features' enums are held in PostgreSQL. The types themselves
//! stay free of sqlx (model code never names the database); this is where they meet it.

use sqlx::Postgres;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgHasArrayType, PgTypeInfo, PgValueRef};

use crate::core::{AppointmentId, InfusionRecordId, PatientId, Role, UserId};

/// Maps a Rust enum to a PostgreSQL enum type, label by label:
/// `pg_enum!(Role, "user_role", { Patient => "patient", ... });`. Invoke it in the feature's
/// `db.rs` (or here for the core's enums).
macro_rules! pg_enum {
    ($ty:ty, $pg_name:literal, { $($variant:ident => $label:literal),+ $(,)? }) => {
        impl sqlx::Type<sqlx::Postgres> for $ty {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                sqlx::postgres::PgTypeInfo::with_name($pg_name)
            }
        }

        impl sqlx::postgres::PgHasArrayType for $ty {
            fn array_type_info() -> sqlx::postgres::PgTypeInfo {
                sqlx::postgres::PgTypeInfo::with_name(concat!("_", $pg_name))
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Postgres> for $ty {
            fn encode_by_ref(
                &self,
                buf: &mut sqlx::postgres::PgArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                let label: &str = match self {
                    $(<$ty>::$variant => $label,)+
                };
                <&str as sqlx::Encode<sqlx::Postgres>>::encode(label, buf)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $ty {
            fn decode(
                value: sqlx::postgres::PgValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let label = <&str as sqlx::Decode<sqlx::Postgres>>::decode(value)?;
                match label {
                    $($label => Ok(<$ty>::$variant),)+
                    other => Err(format!(
                        "{} holds {other:?}, which {} does not know",
                        $pg_name,
                        stringify!($ty)
                    )
                    .into()),
                }
            }
        }
    };
}
pub(crate) use pg_enum;

/// Maps an id newtype to bigint.
macro_rules! pg_id {
    ($($ty:ty),+) => {$(
        impl sqlx::Type<Postgres> for $ty {
            fn type_info() -> PgTypeInfo {
                <i64 as sqlx::Type<Postgres>>::type_info()
            }

            fn compatible(ty: &PgTypeInfo) -> bool {
                <i64 as sqlx::Type<Postgres>>::compatible(ty)
            }
        }

        impl PgHasArrayType for $ty {
            fn array_type_info() -> PgTypeInfo {
                <i64 as PgHasArrayType>::array_type_info()
            }
        }

        impl<'q> sqlx::Encode<'q, Postgres> for $ty {
            fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
                <i64 as sqlx::Encode<Postgres>>::encode(self.get(), buf)
            }
        }

        impl<'r> sqlx::Decode<'r, Postgres> for $ty {
            fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
                Ok(<$ty>::new(<i64 as sqlx::Decode<Postgres>>::decode(value)?))
            }
        }
    )+};
}

pg_id!(PatientId, UserId, AppointmentId, InfusionRecordId);

pg_enum!(Role, "user_role", {
    Patient => "patient",
    FrontDesk => "front_desk",
    Clinician => "clinician",
    Admin => "admin",
});
