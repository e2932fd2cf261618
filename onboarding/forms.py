from django import forms


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="File to import",
        help_text="A CSV file (UTF-8, comma or semicolon separated) or an Excel workbook "
        "(.xlsx, first sheet). The first row names the columns.",
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
