//! TLS to PostgreSQL with rustls. Certificates are always verified: against the PEM bundle of
//! `PostgresSettings::ca_file` when given (Amazon RDS's CA bundle, say), else against the
//! public web roots. A URL with `sslmode=disable` connects in plain text.

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::errors::PostgresError;

/// A connector trusting the certificates of `ca_file`, or the public roots without one.
pub(crate) fn connector(ca_file: Option<&Path>) -> Result<MakeRustlsConnect, PostgresError> {
    let roots = match ca_file {
        Some(path) => roots_from_pem(path)?,
        None => RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        },
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| PostgresError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

fn roots_from_pem(path: &Path) -> Result<RootCertStore, PostgresError> {
    let mut roots = RootCertStore::empty();
    let certificates = CertificateDer::pem_file_iter(path).map_err(|e| {
        PostgresError::Tls(format!("cannot read the CA file {}: {e}", path.display()))
    })?;
    for certificate in certificates {
        let certificate = certificate.map_err(|e| {
            PostgresError::Tls(format!("bad PEM in the CA file {}: {e}", path.display()))
        })?;
        roots.add(certificate).map_err(|e| {
            PostgresError::Tls(format!("unusable certificate in {}: {e}", path.display()))
        })?;
    }
    if roots.is_empty() {
        return Err(PostgresError::Tls(format!(
            "no certificate in the CA file {}",
            path.display()
        )));
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_with_the_public_roots() {
        assert!(connector(None).is_ok());
    }

    #[test]
    fn a_missing_or_empty_ca_file_is_a_clear_error() {
        let missing = connector(Some(Path::new("/nonexistent/ca.pem")));
        assert!(
            matches!(missing, Err(PostgresError::Tls(message)) if message.contains("cannot read"))
        );

        let empty = std::env::temp_dir().join(format!("poll-empty-ca-{}.pem", std::process::id()));
        std::fs::write(&empty, "not a certificate\n").expect("temp file");
        let result = connector(Some(&empty));
        let _ = std::fs::remove_file(&empty);
        assert!(
            matches!(result, Err(PostgresError::Tls(message)) if message.contains("no certificate"))
        );
    }
}
