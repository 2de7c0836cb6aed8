/**
 * A product's gallery for its merchant: upload pictures through the app's own GraphQL multipart
 * request, write their alt text, put them in order, remove them.
 *
 * An upload comes back PENDING: a worker cleans and thumbnails it within seconds. While any
 * image is pending the gallery is asked again every {@link PENDING_POLL_MS} ms; a pending image
 * shows a placeholder, a FAILED one the reason (the merchant removes it).
 */
import { useEffect, useId, useState } from "react";
import { useClient } from "urql";

import type { UserError } from "../../api/errors";
import { useFormMutation } from "../../api/mutation";
import { useErrorMessage } from "../../components/form";
import { uploadRequest } from "../../components/marketplace/multipart";
import { localUrl } from "../../components/marketplace/urls";
import { Empty } from "../../components/states";
import { graphql } from "../../gql";
import type { ProductImageStatus } from "../../gql/graphql";
import { useI18n } from "../../i18n";

export const ProductImageFields = graphql(`
  fragment ProductImageFields on ProductImage {
    id
    position
    width
    height
    contentType
    sizeBytes
    altText
    url
    thumbnailUrl
    status
    processingError {
      field
      code
      message
    }
  }
`);

export const ProductGalleryQuery = graphql(`
  query ProductGallery($id: ID!) {
    product(id: $id) {
      id
      images(includeUnready: true) {
        ...ProductImageFields
      }
    }
  }
`);

export const PENDING_POLL_MS = 1500;

export const ProductImageUploadMutation = graphql(`
  mutation ProductImageUpload($productId: ID!, $file: Upload!, $altText: String!) {
    productImageUpload(productId: $productId, file: $file, altText: $altText) {
      image {
        ...ProductImageFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const ProductImageUpdateMutation = graphql(`
  mutation ProductImageUpdate($id: ID!, $altText: String!) {
    productImageUpdate(id: $id, altText: $altText) {
      image {
        ...ProductImageFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const ProductImagesReorderMutation = graphql(`
  mutation ProductImagesReorder($productId: ID!, $imageIds: [ID!]!) {
    productImagesReorder(productId: $productId, imageIds: $imageIds) {
      images {
        ...ProductImageFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const ProductImageDeleteMutation = graphql(`
  mutation ProductImageDelete($id: ID!) {
    productImageDelete(id: $id) {
      deletedId
      errors {
        field
        code
        message
      }
    }
  }
`);

export interface ManagedImage {
  id: string;
  position: number;
  altText: string;
  url: string;
  thumbnailUrl: string;
  width: number;
  height: number;
  sizeBytes: number;
  status: ProductImageStatus;
  processingError?: UserError | null;
}

export const ACCEPTED_IMAGES = "image/jpeg,image/png,image/webp";

function AltText({ image, onSaved }: { image: ManagedImage; onSaved: (image: ManagedImage) => void }) {
  const { t } = useI18n();
  const message = useErrorMessage();
  const id = useId();
  const [value, setValue] = useState(image.altText);
  const update = useFormMutation(ProductImageUpdateMutation, (data) => data.productImageUpdate);
  useEffect(() => setValue(image.altText), [image.altText]);
  const save = async () => {
    const data = await update.run({ id: image.id, altText: value.trim() });
    const saved = data?.productImageUpdate.image;
    if (saved) onSaved(saved);
  };
  const changed = value.trim() !== image.altText;
  return (
    <div className={`field field-compact${update.errors.length ? " field-invalid" : ""}`}>
      <label htmlFor={id}>{t("images.altText")}</label>
      <div className="input-group">
        <input
          id={id}
          value={value}
          onChange={(event) => setValue(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === "Enter") {
              event.preventDefault();
              void save();
            }
          }}
          aria-invalid={update.errors.length > 0}
          aria-describedby={update.errors.length ? `${id}-error` : undefined}
          maxLength={200}
        />
        <button type="button" className="button button-secondary button-small" disabled={!changed || update.fetching} onClick={() => void save()}>
          {t("common.save")}
        </button>
      </div>
      {update.errors.map((error, index) => (
        <p className="field-error" id={index === 0 ? `${id}-error` : undefined} key={index} role="alert">
          {message(error)}
        </p>
      ))}
    </div>
  );
}

export function ImageManager({ productId, images: initial, onChange }: { productId: string; images: ManagedImage[]; onChange?: () => void }) {
  const { t, number } = useI18n();
  const message = useErrorMessage();
  const inputId = useId();
  const [images, setImages] = useState<ManagedImage[]>(initial);
  const [uploading, setUploading] = useState<string | null>(null);
  const [uploadErrors, setUploadErrors] = useState<UserError[]>([]);
  const [altText, setAltText] = useState("");
  const reorder = useFormMutation(ProductImagesReorderMutation, (data) => data.productImagesReorder);
  const remove = useFormMutation(ProductImageDeleteMutation, (data) => data.productImageDelete);
  const [status, setStatus] = useState("");
  const client = useClient();
  useEffect(() => setImages(initial), [initial]);

  const pendingIds = images
    .filter((image) => image.status === "PENDING")
    .map((image) => image.id)
    .join(",");
  useEffect(() => {
    if (!pendingIds) return;
    const timer = window.setTimeout(() => {
      void client
        .query(ProductGalleryQuery, { id: productId }, { requestPolicy: "network-only" })
        .toPromise()
        .then((result) => {
          const fresh = new Map((result.data?.product?.images ?? []).map((image) => [image.id, image]));
          setImages((current) => current.map((image) => fresh.get(image.id) ?? image));
          const done = pendingIds.split(",").filter((id) => fresh.has(id) && fresh.get(id)?.status !== "PENDING");
          if (done.length) {
            setStatus(t("images.processed", { count: done.length }));
            onChange?.();
          }
        });
    }, PENDING_POLL_MS);
    return () => window.clearTimeout(timer);
  }, [pendingIds, client, productId, onChange, t]);

  const upload = async (files: FileList | null) => {
    if (!files || files.length === 0) return;
    const errors: UserError[] = [];
    for (const file of Array.from(files)) {
      setUploading(file.name);
      const result = await uploadRequest(ProductImageUploadMutation, { productId, file, altText: altText.trim() });
      const payload = result.data?.productImageUpload;
      if (result.error) errors.push({ field: "file", code: result.error.code, message: result.error.message });
      for (const error of payload?.errors ?? []) errors.push({ ...error, message: `${file.name}: ${message(error)}` });
      if (payload?.image) {
        const image = payload.image;
        setImages((current) => [...current, image]);
        setStatus(t("images.uploaded", { name: file.name }));
      }
    }
    setUploading(null);
    setUploadErrors(errors);
    setAltText("");
    onChange?.();
  };

  const move = async (index: number, step: number) => {
    const target = index + step;
    if (target < 0 || target >= images.length) return;
    const next = [...images];
    [next[index], next[target]] = [next[target], next[index]];
    setImages(next);
    const data = await reorder.run({ productId, imageIds: next.map((image) => image.id) });
    if (data) {
      setImages(data.productImagesReorder.images);
      setStatus(t("images.moved", { position: target + 1 }));
      onChange?.();
    } else setImages(images);
  };

  const drop = async (image: ManagedImage) => {
    if (!window.confirm(t("images.deleteConfirm"))) return;
    const data = await remove.run({ id: image.id });
    if (data?.productImageDelete.deletedId) {
      setImages((current) => current.filter((item) => item.id !== image.id));
      setStatus(t("images.deleted"));
      onChange?.();
    }
  };

  const actionErrors = [...reorder.errors, ...remove.errors];
  return (
    <div className="image-manager stack-tight">
      <p className="visually-hidden" role="status" aria-live="polite">
        {status}
      </p>
      {images.length === 0 ? (
        <Empty title={t("images.empty")}>{t("images.emptyHint")}</Empty>
      ) : (
        <ol className="managed-images" data-testid="managed-images">
          {images.map((image, index) => (
            <li key={image.id} className="managed-image" data-testid="managed-image" data-id={image.id}>
              {image.status === "READY" ? (
                <img src={localUrl(image.thumbnailUrl)} alt={image.altText} />
              ) : image.status === "PENDING" ? (
                <div className="managed-image-placeholder" data-testid="image-pending" role="status">
                  <span className="spinner spinner-inline" aria-hidden="true" /> {t("images.processing")}
                </div>
              ) : (
                <div className="managed-image-placeholder managed-image-failed" data-testid="image-failed" role="alert">
                  <strong>{t("images.failed")}</strong>
                  {image.processingError ? <span>{message(image.processingError)}</span> : null}
                </div>
              )}
              <p className="muted small">
                {index === 0 ? <strong>{t("images.cover")} · </strong> : null}
                {image.width}×{image.height} · {number(Math.max(1, Math.round(image.sizeBytes / 1024)))} KB
              </p>
              <AltText image={image} onSaved={(saved) => setImages((current) => current.map((item) => (item.id === saved.id ? { ...item, ...saved } : item)))} />
              <div className="button-row">
                <button type="button" className="button button-ghost button-small" disabled={index === 0 || reorder.fetching} onClick={() => void move(index, -1)} aria-label={t("images.moveEarlier", { index: index + 1 })}>
                  <span aria-hidden="true">←</span>
                </button>
                <button
                  type="button"
                  className="button button-ghost button-small"
                  disabled={index === images.length - 1 || reorder.fetching}
                  onClick={() => void move(index, 1)}
                  aria-label={t("images.moveLater", { index: index + 1 })}
                >
                  <span aria-hidden="true">→</span>
                </button>
                <button type="button" className="button button-danger button-small" disabled={remove.fetching} onClick={() => void drop(image)} aria-label={t("images.delete", { index: index + 1 })}>
                  {t("common.remove")}
                </button>
              </div>
            </li>
          ))}
        </ol>
      )}
      {actionErrors.length ? (
        <div className="alert alert-error" role="alert">
          {actionErrors.map((error, index) => (
            <p key={index}>{message(error)}</p>
          ))}
        </div>
      ) : null}
      <div className="upload-row">
        <div className="field field-compact">
          <label htmlFor={`${inputId}-alt`}>{t("images.newAltText")}</label>
          <input id={`${inputId}-alt`} value={altText} onChange={(event) => setAltText(event.target.value)} maxLength={200} />
        </div>
        <div className={`field${uploadErrors.length ? " field-invalid" : ""}`}>
          <label htmlFor={inputId}>{t("images.upload")}</label>
          <input
            id={inputId}
            type="file"
            accept={ACCEPTED_IMAGES}
            multiple
            disabled={uploading !== null}
            aria-invalid={uploadErrors.length > 0}
            aria-describedby={uploadErrors.length ? `${inputId}-error` : `${inputId}-hint`}
            onChange={(event) => {
              const input = event.currentTarget;
              void upload(input.files).then(() => {
                input.value = "";
              });
            }}
            data-testid="image-upload"
          />
          {uploading ? (
            <p className="field-hint" role="status">
              <span className="spinner spinner-inline" aria-hidden="true" /> {t("images.uploading", { name: uploading })}
            </p>
          ) : uploadErrors.length ? (
            uploadErrors.map((error, index) => (
              <p className="field-error" id={index === 0 ? `${inputId}-error` : undefined} key={index} role="alert">
                {error.message || message(error)}
              </p>
            ))
          ) : (
            <p className="field-hint" id={`${inputId}-hint`}>
              {t("images.hint")}
            </p>
          )}
        </div>
      </div>
    </div>
  );
}
