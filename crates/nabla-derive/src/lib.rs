//! `#[derive(Module)]`: writes a struct's `nabla_nn::Visit` implementation from its fields.
//!
//! Every field takes part unless marked, so a field added to a layer cannot silently drop out
//! of `parameters()` or the state dict: a field whose type is not a module, a tensor or a
//! module's random generator fails to compile until it is marked `#[module(skip)]`.
//!
//! | field | what the derive does |
//! |---|---|
//! | a `Tensor` | a parameter named after the field (`weight`) |
//! | a module, `Option<…>`, `Vec<…>`, `Box<dyn Module>` | a child: its tensors prefixed by the field's name (`encoder.0.weight`; a `Vec`'s items by index) |
//! | `#[module(buffer)]` | everything below the field is a buffer (`running_mean`) |
//! | `#[module(name = "weight_ih_l0")]` | the field's key, where PyTorch's differs from the field's name |
//! | `#[module(flatten)]` | the field's tensors without a prefix of its own (a tuple struct's only field is flattened) |
//! | `#[module(training)]` | a `bool` that `set_training` sets (what dropout and batch norm read) |
//! | `#[module(skip)]` | not a module part: a configuration, a size, a cache |
//!
//! A `ModuleRng` field (dropout's mask generator) is visited by `visit_rngs`, so a checkpoint
//! can save and restore it.
//!
//! ```
//! use nabla_nn::{Dropout, Linear, Module, Sequential};
//! use nabla_tensor::{Result, Tensor};
//!
//! #[derive(Module)]
//! struct Classifier {
//!     features: Sequential,
//!     dropout: Dropout,
//!     head: Linear,
//!     #[module(skip)]
//!     classes: usize,
//! }
//!
//! impl Module for Classifier {
//!     fn forward(&self, x: &Tensor) -> Result<Tensor> {
//!         self.head.forward(&self.dropout.forward(&self.features.forward(x)?)?)
//!     }
//! }
//! ```
//!
//! A field that is neither a module part nor marked does not compile, so it cannot drop out of
//! the state dict unnoticed:
//!
//! ```compile_fail
//! use nabla_nn::{Linear, Module};
//!
//! #[derive(Module)]
//! struct Forgot {
//!     head: Linear,
//!     classes: usize, // needs #[module(skip)]
//! }
//! ```

use proc_macro::TokenStream;
use proc_macro_crate::{FoundCrate, crate_name};
use proc_macro2::{Span, TokenStream as Tokens};
use quote::quote;
use syn::{Data, DeriveInput, Fields, Ident, LitStr, parse_macro_input};

/// Derives `Visit` (`visit`, `visit_rngs` and `set_training`) from the struct's fields; see
/// the crate documentation for the field attributes.
#[proc_macro_derive(Module, attributes(module))]
pub fn derive_module(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// How one field takes part.
#[derive(Default)]
struct FieldRole {
    skip: bool,
    buffer: bool,
    training: bool,
    flatten: bool,
    name: Option<String>,
}

fn field_role(field: &syn::Field) -> syn::Result<FieldRole> {
    let mut role = FieldRole::default();
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("module")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("skip") {
                role.skip = true;
            } else if meta.path.is_ident("buffer") {
                role.buffer = true;
            } else if meta.path.is_ident("training") {
                role.training = true;
            } else if meta.path.is_ident("flatten") {
                role.flatten = true;
            } else if meta.path.is_ident("name") {
                role.name = Some(meta.value()?.parse::<LitStr>()?.value());
            } else {
                return Err(meta.error("expected skip, buffer, training, flatten or name = \"…\""));
            }
            Ok(())
        })?;
    }
    if role.skip && (role.buffer || role.training || role.flatten || role.name.is_some()) {
        return Err(syn::Error::new_spanned(field, "#[module(skip)] takes no other option"));
    }
    Ok(role)
}

/// The path of nabla-nn as the deriving crate sees it: itself, a direct dependency, or the
/// `nabla` facade's `nn`.
fn nn_path() -> Tokens {
    match crate_name("nabla-nn") {
        Ok(FoundCrate::Itself) => quote!(crate),
        Ok(FoundCrate::Name(name)) => {
            let name = Ident::new(&name, Span::call_site());
            quote!(::#name)
        }
        Err(_) => match crate_name("nabla") {
            Ok(FoundCrate::Name(name)) => {
                let name = Ident::new(&name, Span::call_site());
                quote!(::#name::nn)
            }
            _ => quote!(::nabla_nn),
        },
    }
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(&input.ident, "#[derive(Module)] takes a struct"));
    };
    let nn = nn_path();
    let single_unnamed = matches!(&data.fields, Fields::Unnamed(f) if f.unnamed.len() == 1);
    let (mut visits, mut rng_visits, mut trainings) = (Vec::new(), Vec::new(), Vec::new());
    for (index, field) in data.fields.iter().enumerate() {
        let role = field_role(field)?;
        if role.skip {
            continue;
        }
        let member = match &field.ident {
            Some(ident) => quote!(#ident),
            None => {
                let index = syn::Index::from(index);
                quote!(#index)
            }
        };
        if role.training {
            trainings.push(quote!(self.#member = training;));
            continue;
        }
        let key = role.name.unwrap_or_else(|| match &field.ident {
            Some(ident) => ident.to_string().trim_start_matches("r#").to_string(),
            None => index.to_string(),
        });
        let prefix =
            if role.flatten || single_unnamed { quote!(prefix) } else { quote!(&#nn::child_name(prefix, #key)) };
        visits.push(if role.buffer {
            quote!(#nn::Visit::visit(&self.#member, #prefix, &mut |name, tensor, _| visit(name, tensor, #nn::TensorKind::Buffer));)
        } else {
            quote!(#nn::Visit::visit(&self.#member, #prefix, visit);)
        });
        rng_visits.push(quote!(#nn::Visit::visit_rngs(&self.#member, #prefix, visit);));
        trainings.push(quote!(#nn::Visit::set_training(&mut self.#member, training);));
    }
    let ident = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics #nn::Visit for #ident #type_generics #where_clause {
            fn visit(
                &self,
                prefix: &str,
                visit: &mut dyn FnMut(::std::string::String, &#nn::derive_support::Tensor, #nn::TensorKind),
            ) {
                let _ = (&prefix, &visit);
                #(#visits)*
            }

            fn visit_rngs(&self, prefix: &str, visit: &mut dyn FnMut(::std::string::String, &#nn::ModuleRng)) {
                let _ = (&prefix, &visit);
                #(#rng_visits)*
            }

            fn set_training(&mut self, training: bool) {
                let _ = training;
                #(#trainings)*
            }
        }
    })
}
