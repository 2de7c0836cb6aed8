/** A deal's pictures: the chosen one large, the others as thumbnails (arrow keys move). */
import { useState, type KeyboardEvent } from "react";

import { useI18n } from "../../i18n";
import { DealPlaceholder } from "./DealCard";
import { localUrl } from "./urls";

interface Image {
  id: string;
  url: string;
  thumbnailUrl: string;
  altText: string;
  width?: number;
  height?: number;
}

export function Gallery({ images, title }: { images: Image[]; title: string }) {
  const { t } = useI18n();
  const [index, setIndex] = useState(0);
  const current = images[Math.min(index, images.length - 1)];
  if (!current) {
    return (
      <div className="gallery gallery-empty">
        <DealPlaceholder title={title} />
      </div>
    );
  }
  const move = (event: KeyboardEvent) => {
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    event.preventDefault();
    const next = (index + step + images.length) % images.length;
    setIndex(next);
    const buttons = (event.currentTarget as HTMLElement).querySelectorAll<HTMLButtonElement>("button");
    buttons[next]?.focus();
  };
  return (
    <div className="gallery" data-testid="gallery">
      <figure className="gallery-main">
        <img src={localUrl(current.url)} alt={current.altText || title} width={current.width} height={current.height} data-testid="gallery-image" />
        {images.length > 1 ? (
          <figcaption className="visually-hidden">{t("gallery.position", { index: index + 1, count: images.length })}</figcaption>
        ) : null}
      </figure>
      {images.length > 1 ? (
        <div className="gallery-thumbs" role="group" aria-label={t("gallery.choose")} onKeyDown={move}>
          {images.map((image, position) => (
            <button
              key={image.id}
              type="button"
              className={position === index ? "gallery-thumb active" : "gallery-thumb"}
              aria-pressed={position === index}
              aria-label={t("gallery.show", { index: position + 1 })}
              tabIndex={position === index ? 0 : -1}
              onClick={() => setIndex(position)}
            >
              <img src={localUrl(image.thumbnailUrl)} alt="" loading="lazy" />
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );
}
