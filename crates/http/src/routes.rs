//! The route table: the ONE list of (method, path, handler) that both registers the actix
//! routes and is checked against the OpenAPI document (see the `openapi` tests), so the
//! served API and its description cannot drift apart.

use actix_web::http::Method;
use actix_web::{HttpResponse, Route, web};

use crate::handlers::{choices, ops, questions, results, votes};
use crate::problem::ApiError;

/// One operation of the API.
#[derive(Debug)]
pub struct Endpoint {
    pub method: Method,
    /// The canonical path template (`{id}` style, like OpenAPI). `/polls/...` paths end with a
    /// slash and are served without it too.
    pub path: &'static str,
    handler: fn(Route) -> Route,
}

/// Every operation of the API.
pub static ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::GET,
        path: "/polls/questions/",
        handler: |r| r.to(questions::list),
    },
    Endpoint {
        method: Method::POST,
        path: "/polls/questions/",
        handler: |r| r.to(questions::create),
    },
    Endpoint {
        method: Method::GET,
        path: "/polls/questions/{id}/",
        handler: |r| r.to(questions::get),
    },
    Endpoint {
        method: Method::PATCH,
        path: "/polls/questions/{id}/",
        handler: |r| r.to(questions::update),
    },
    Endpoint {
        method: Method::DELETE,
        path: "/polls/questions/{id}/",
        handler: |r| r.to(questions::delete),
    },
    Endpoint {
        method: Method::GET,
        path: "/polls/questions/{id}/choices/",
        handler: |r| r.to(choices::list),
    },
    Endpoint {
        method: Method::POST,
        path: "/polls/questions/{id}/choices/",
        handler: |r| r.to(choices::add),
    },
    Endpoint {
        method: Method::GET,
        path: "/polls/questions/{id}/choices/{choice_id}/",
        handler: |r| r.to(choices::get),
    },
    Endpoint {
        method: Method::POST,
        path: "/polls/questions/{id}/votes/",
        handler: |r| r.to(votes::cast),
    },
    Endpoint {
        method: Method::GET,
        path: "/polls/questions/{id}/results/",
        handler: |r| r.to(results::get),
    },
    Endpoint {
        method: Method::GET,
        path: "/health/live",
        handler: |r| r.to(ops::live),
    },
    Endpoint {
        method: Method::GET,
        path: "/health/ready",
        handler: |r| r.to(ops::ready),
    },
    Endpoint {
        method: Method::GET,
        path: "/version",
        handler: |r| r.to(ops::version),
    },
    Endpoint {
        method: Method::GET,
        path: "/openapi.json",
        handler: |r| r.to(ops::openapi_json),
    },
    Endpoint {
        method: Method::GET,
        path: "/metrics",
        handler: |r| r.to(ops::metrics),
    },
];

/// The canonical path template of a pattern actix matched (`/polls/questions/{id}` is served
/// for `/polls/questions/{id}/`), or `None` for a pattern not in the table.
pub fn template(pattern: &str) -> Option<&'static str> {
    ENDPOINTS
        .iter()
        .map(|e| e.path)
        .find(|path| *path == pattern || path.strip_suffix('/') == Some(pattern))
}

/// The patterns a canonical path is served at: `/polls/...` with and without its trailing slash.
pub fn patterns(path: &'static str) -> Vec<&'static str> {
    match path.strip_suffix('/') {
        Some(bare) if path.starts_with("/polls/") => vec![path, bare],
        _ => vec![path],
    }
}

/// The distinct canonical paths, in table order, each with the methods it takes.
pub fn resources() -> Vec<(&'static str, Vec<&'static Endpoint>)> {
    let mut grouped: Vec<(&'static str, Vec<&'static Endpoint>)> = Vec::new();
    for endpoint in ENDPOINTS {
        match grouped.iter_mut().find(|(path, _)| *path == endpoint.path) {
            Some((_, endpoints)) => endpoints.push(endpoint),
            None => grouped.push((endpoint.path, vec![endpoint])),
        }
    }
    grouped
}

/// Registers every resource: its methods, and a 405 (with `Allow`) for any other method.
pub fn configure(config: &mut web::ServiceConfig) {
    for (path, endpoints) in resources() {
        let allow = endpoints
            .iter()
            .map(|e| e.method.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let mut resource = web::resource(patterns(path));
        for endpoint in endpoints {
            resource = resource.route((endpoint.handler)(web::method(endpoint.method.clone())));
        }
        resource = resource.default_service(web::to(move || {
            let allow = allow.clone();
            async move { Err::<HttpResponse, _>(ApiError::MethodNotAllowed { allow }) }
        }));
        config.service(resource);
    }
}

/// The answer for a path no resource serves.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::RouteNotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_paths_are_served_with_and_without_the_slash() {
        assert_eq!(
            patterns("/polls/questions/{id}/"),
            ["/polls/questions/{id}/", "/polls/questions/{id}"]
        );
        assert_eq!(patterns("/health/live"), ["/health/live"]);
    }

    #[test]
    fn patterns_map_to_their_canonical_template() {
        assert_eq!(
            template("/polls/questions/{id}"),
            Some("/polls/questions/{id}/")
        );
        assert_eq!(
            template("/polls/questions/{id}/votes/"),
            Some("/polls/questions/{id}/votes/")
        );
        assert_eq!(template("/metrics"), Some("/metrics"));
        assert_eq!(template("/polls/questions/7/"), None);
    }

    #[test]
    fn each_method_and_path_is_listed_once() {
        for (i, a) in ENDPOINTS.iter().enumerate() {
            for b in &ENDPOINTS[i + 1..] {
                assert!(
                    a.method != b.method || a.path != b.path,
                    "{} {} twice",
                    a.method,
                    a.path
                );
            }
        }
    }
}
