//! RTMPS: the TLS certificate of `livechannel-server --rtmps`, read from
//! PEM files and read again on SIGHUP.
//!
//! [`Certificate`] holds the current [`rustls::ServerConfig`] behind a
//! lock; every accepted connection takes the one current at that moment
//! ([`Certificate::acceptor`]), so a reload changes what new connections
//! are shown and leaves connections already made with theirs. A reload
//! that fails (a missing file, a key that does not match) keeps the old
//! certificate.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// The TLS certificate and key of the RTMPS listener, as last read.
#[derive(Debug)]
pub struct Certificate {
    cert: PathBuf,
    key: PathBuf,
    current: RwLock<Arc<rustls::ServerConfig>>,
}

impl Certificate {
    /// Reads the certificate chain (`cert`, PEM, leaf first) and its
    /// private key (`key`, PEM: PKCS#8, PKCS#1 or SEC1). The error names
    /// the file at fault.
    pub fn load(cert: &Path, key: &Path) -> Result<Certificate, String> {
        let config = server_config(cert, key)?;
        Ok(Certificate {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            current: RwLock::new(Arc::new(config)),
        })
    }

    /// Reads the files again and, when they make a valid configuration,
    /// serves it to the connections accepted from now on. On an error the
    /// certificate in use stays, and the error says why.
    pub fn reload(&self) -> Result<(), String> {
        let config = server_config(&self.cert, &self.key)?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(config);
        Ok(())
    }

    /// The TLS configuration in use now.
    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// An acceptor with the configuration in use now, for one connection.
    pub fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.server_config())
    }
}

/// A TLS server configuration from PEM files: TLS 1.2 and 1.3, no client
/// certificates, aws-lc-rs as the crypto provider (named here rather than
/// taken from the process default, which another dependency's rustls could
/// leave ambiguous).
fn server_config(cert: &Path, key: &Path) -> Result<rustls::ServerConfig, String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("--tls-cert {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "--tls-cert {}: no CERTIFICATE in the file",
            cert.display()
        ));
    }
    let private_key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("--tls-key {}: {e}", key.display()))?;
    rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_no_client_auth()
    .with_single_cert(chain, private_key)
    .map_err(|e| {
        format!(
            "--tls-cert {} with --tls-key {}: {e}",
            cert.display(),
            key.display()
        )
    })
}

/// Until the process ends: on every SIGHUP, read the certificate files
/// again ([`Certificate::reload`]) and log the outcome.
#[cfg(unix)]
pub async fn reload_on_sighup(certificate: Arc<Certificate>) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hangups = match signal(SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(
                "rtmps: cannot listen for SIGHUP, the certificate will not be reloaded: {e}"
            );
            return;
        }
    };
    while hangups.recv().await.is_some() {
        match certificate.reload() {
            Ok(()) => tracing::info!(
                cert = %certificate.cert.display(),
                "rtmps: SIGHUP: certificate reloaded; new connections get it"
            ),
            Err(e) => {
                tracing::warn!("rtmps: SIGHUP: reload failed, keeping the certificate in use: {e}")
            }
        }
    }
}
