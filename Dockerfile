# syntax=docker/dockerfile:1
# The clinic web app: a release build, then a small runtime image with the binary only.
# Templates, static files, migrations and data/ are compiled into the binary.

FROM rust:1-bookworm AS builder
WORKDIR /build
# Queries are checked against the committed .sqlx/ data: no database is needed to build.
ENV SQLX_OFFLINE=true
COPY Cargo.toml Cargo.lock ./
COPY .cargo ./.cargo
COPY .sqlx ./.sqlx
COPY src ./src
COPY templates ./templates
COPY static ./static
COPY migrations ./migrations
COPY data ./data
# The cache mounts keep downloaded crates and compiled dependencies between builds; the target
# directory is a cache, so the binary is copied out in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/build/target \
    cargo build --release --locked \
    && cp target/release/clinic /usr/local/bin/clinic

FROM debian:bookworm-slim
# curl is only for the HEALTHCHECK below: the image has no other HTTP client, and the app
# has no health subcommand. It is the simplest check that needs nothing else.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 clinic \
    && useradd --system --uid 10001 --gid clinic --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin clinic \
    && install -d -o clinic -g clinic /var/lib/clinic/mail
COPY --from=builder /usr/local/bin/clinic /usr/local/bin/clinic
USER 10001:10001
ENV CLINIC_LISTEN=0.0.0.0:8080
# Without CLINIC_SMTP_URL, emails are written here as .eml files.
ENV CLINIC_MAIL_DIR=/var/lib/clinic/mail
EXPOSE 8080
# /healthz answers while the process runs (/readyz would also fail while the database is
# down, and restarting the app does not help then). The port follows CLINIC_LISTEN.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${CLINIC_LISTEN##*:}/healthz" || exit 1
ENTRYPOINT ["clinic"]
CMD ["serve"]
